/**
 * HASSH fingerprints of SSH key exchange (github.com/salesforce/hassh).
 * From the KEXINIT message (RFC 4253 section 7.1) the client string is
 *
 *   kex_algorithms;encryption_client_to_server;mac_client_to_server;compression_client_to_server
 *
 * and the server string (HASSHServer) uses the server-to-client lists.
 * The fingerprint is the MD5 of the string in lower-case hex.
 */
import { createHash } from 'node:crypto';

/** Number of name-lists in a KEXINIT, and the index of each one used (RFC 4253 section 7.1). */
const KEXINIT_LIST_COUNT = 10;
const LIST_KEX = 0;
const LIST_ENCRYPTION_C2S = 2;
const LIST_ENCRYPTION_S2C = 3;
const LIST_MAC_C2S = 4;
const LIST_MAC_S2C = 5;
const LIST_COMPRESSION_C2S = 6;
const LIST_COMPRESSION_S2C = 7;

/** Cookie bytes before the name-lists. */
const KEXINIT_COOKIE_BYTES = 16;

const LATIN1 = new TextDecoder('latin1');

/**
 * Reads the name-lists of a KEXINIT payload (after the message code), or
 * returns null when a list runs past the payload.
 */
export function readKexInitLists(bytes: Uint8Array, length: number): string[] | null {
  const lists: string[] = [];
  let pos = KEXINIT_COOKIE_BYTES;
  for (let i = 0; i < KEXINIT_LIST_COUNT; i++) {
    if (pos + 4 > length) return null;
    const n = ((bytes[pos] << 24) | (bytes[pos + 1] << 16) | (bytes[pos + 2] << 8) | bytes[pos + 3]) >>> 0;
    pos += 4;
    if (n > length - pos) return null;
    lists.push(LATIN1.decode(bytes.subarray(pos, pos + n)));
    pos += n;
  }
  return lists;
}

/** Builds the HASSH string of a KEXINIT: client lists, or server lists with `isServer`. */
export function buildHasshString(lists: string[], isServer: boolean): string {
  if (isServer) return [lists[LIST_KEX], lists[LIST_ENCRYPTION_S2C], lists[LIST_MAC_S2C], lists[LIST_COMPRESSION_S2C]].join(';');
  return [lists[LIST_KEX], lists[LIST_ENCRYPTION_C2S], lists[LIST_MAC_C2S], lists[LIST_COMPRESSION_C2S]].join(';');
}

/** Returns the MD5 of a HASSH string in lower-case hex. */
export function hashHassh(text: string): string {
  return createHash('md5').update(text, 'latin1').digest('hex');
}
