/**
 * Content-based detection of TLS: a handshake record header with a TLS
 * version, or an SSLv2-framed ClientHello.
 */
import { Direction } from '../../core/packet.js';
import { TlsContentType, TlsHandshakeType } from './parser.js';

/** Tells whether `bytes` start a TLS stream in the given direction. */
export function probeTls(bytes: Uint8Array, start: number, length: number, direction: number): 'yes' | 'no' | 'need_more' {
  if (length < 1) return 'need_more';
  const b0 = bytes[start];
  if (b0 & 0x80) {
    // SSLv2 record header (2 bytes), then message type 1 (ClientHello)
    // and a version of SSLv3 or TLS.
    if (length < 5) return 'need_more';
    const isClientHello = bytes[start + 2] === 1 && (bytes[start + 3] === 0 || bytes[start + 3] === 3);
    return isClientHello && direction === Direction.TO_SERVER ? 'yes' : 'no';
  }
  if (b0 !== TlsContentType.HANDSHAKE) return 'no';
  if (length < 6) return length >= 2 && bytes[start + 1] !== 3 ? 'no' : 'need_more';
  if (bytes[start + 1] !== 3 || bytes[start + 2] > 4) return 'no';
  const expected = direction === Direction.TO_SERVER ? TlsHandshakeType.CLIENT_HELLO : TlsHandshakeType.SERVER_HELLO;
  return bytes[start + 5] === expected ? 'yes' : 'no';
}
