/**
 * The decode stage's public API: decodePacket with its per-worker
 * DecodeContext, and the decoder event catalogue.
 */
export { decodePacket } from './decode-packet.js';
export {
  CHECKSUM_INVALID_RATIO,
  CHECKSUM_SAMPLE_PACKETS,
  DECODE_STAT_NAMES,
  DecodeContext,
  DecodeStat,
  MAX_DECODE_LAYERS,
  type ChecksumMode,
} from './context.js';
export {
  DECODER_EVENT_ID_LIMIT,
  DECODER_EVENT_NAMES,
  DecoderEvent,
  decoderEventEveName,
  decoderEventId,
  decoderEventName,
  type DecoderEventId,
} from './events.js';
