/**
 * The payload keywords, for the keyword registry: content and its
 * modifiers, pcre, isdataat, the byte keywords, bsize, pkt_data and the
 * header sticky buffers (ipv4.hdr, tcp.hdr, ...).
 */
import type { KeywordDef } from '../signature.js';
import { contentKeyword } from './content.js';
import {
  depthKeyword, distanceKeyword, endsWithKeyword, fastPatternKeyword, nocaseKeyword, offsetKeyword,
  rawbytesKeyword, startsWithKeyword, withinKeyword,
} from './content-modifiers.js';
import { pcreKeyword } from './pcre.js';
import { isDataAtKeyword } from './isdataat.js';
import { byteTestKeyword } from './byte-test.js';
import { byteJumpKeyword } from './byte-jump.js';
import { byteExtractKeyword } from './byte-extract.js';
import { byteMathKeyword } from './byte-math.js';
import { pktDataKeyword } from './pkt-data.js';
import { bsizeKeyword } from './bsize.js';
import { entropyKeyword } from './entropy.js';
import { HEADER_BUFFER_KEYWORDS } from './header-buffers.js';

export const PAYLOAD_KEYWORDS: readonly KeywordDef[] = [
  contentKeyword,
  nocaseKeyword,
  depthKeyword,
  offsetKeyword,
  distanceKeyword,
  withinKeyword,
  startsWithKeyword,
  endsWithKeyword,
  fastPatternKeyword,
  rawbytesKeyword,
  pcreKeyword,
  isDataAtKeyword,
  byteTestKeyword,
  byteJumpKeyword,
  byteExtractKeyword,
  byteMathKeyword,
  pktDataKeyword,
  bsizeKeyword,
  entropyKeyword,
  ...HEADER_BUFFER_KEYWORDS,
];
