/**
 * `frame:[<proto>.]<type>`: a sticky buffer that makes the payload keywords
 * after it inspect one app-layer frame (a TLS record, an SSH binary packet,
 * a DNS message, an HTTP request), as app/frames.ts defines them. The
 * protocol part may be left out when the rule header names the protocol
 * (`alert tls ... frame:pdu;`). Suricata documents frames in its developer
 * guide, "Application Layer Frame Support".
 */
import { ErrorCode } from '../../core/errors.js';
import { frameProtocolOf, frameTypeId, frameTypeNames } from '../../app/frames.js';
import type { KeywordDef, SignatureBuilder } from '../signature.js';
import { TRANSFORM_NAME_SEPARATOR } from '../transforms.js';

/** Prefix of the buffer names that frame rules inspect: `frame:<app proto>.<type>`. */
export const FRAME_BUFFER_PREFIX = 'frame:';

/** Returns the buffer name of frame type `type` of app-layer protocol `appProto`. */
export function frameBufferName(appProto: string, type: string): string {
  return FRAME_BUFFER_PREFIX + appProto + '.' + type;
}

/** The frame a buffer name stands for, or null when `buffer` is not a frame buffer. */
export interface FrameBufferRef {
  appProto: string;
  type: number;
}

/** Reads a frame buffer name back into its protocol and type id. */
export function parseFrameBuffer(buffer: string): FrameBufferRef | null {
  if (!buffer.startsWith(FRAME_BUFFER_PREFIX)) return null;
  // A transformed frame buffer is named `frame:<proto>.<type>|<transform>...`.
  const bar = buffer.indexOf(TRANSFORM_NAME_SEPARATOR);
  const rest = buffer.slice(FRAME_BUFFER_PREFIX.length, bar < 0 ? buffer.length : bar);
  const dot = rest.indexOf('.');
  if (dot <= 0) return null;
  const appProto = rest.slice(0, dot);
  const type = frameTypeId(appProto, rest.slice(dot + 1));
  return type < 0 ? null : { appProto, type };
}

function setupFrame(b: SignatureBuilder, value: string): void {
  const text = value.trim();
  const headerProto = frameProtocolOf(b.sig.proto.toLowerCase());
  let appProto: string | null = null;
  let typeName = text;
  const dot = text.indexOf('.');
  if (dot > 0) {
    appProto = frameProtocolOf(text.slice(0, dot).toLowerCase());
    if (appProto !== null) typeName = text.slice(dot + 1);
  }
  if (appProto === null) {
    if (headerProto === null) {
      const name = dot > 0 ? text.slice(0, dot) : text;
      b.error(ErrorCode.RULE_UNSUPPORTED, `frame: protocol '${name}' has no frames in kapu; rule skipped (expected tls, ssh, dns or http1)`, 0, dot > 0 ? dot : text.length);
      return;
    }
    appProto = headerProto;
  }
  if (headerProto !== null && headerProto !== appProto) {
    b.error(ErrorCode.RULE_CONFLICTING_OPTIONS, `frame: '${text}' is a frame of '${appProto}' but the rule protocol is '${b.sig.proto}'`);
    return;
  }
  if (frameTypeId(appProto, typeName) < 0) {
    const offset = dot > 0 && typeName !== text ? dot + 1 : 0;
    b.error(ErrorCode.RULE_BAD_VALUE, `frame: '${typeName}' is not a frame type of ${appProto} (expected one of ${frameTypeNames(appProto).join(', ')})`, offset, typeName.length);
    return;
  }
  b.selectBuffer(frameBufferName(appProto, typeName));
}

export const frameKeyword: KeywordDef = {
  name: 'frame',
  description: 'inspect an app-layer frame such as tls.pdu or dns.pdu (sticky buffer)',
  docsAnchor: '../devguide/extending/app-layer/app-layer-frames.html',
  value: 'required',
  setup: setupFrame,
};
