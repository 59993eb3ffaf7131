/**
 * The `sctp` object that Suricata 9 adds to alerts on SCTP packets: the
 * verification tag, the chunk types in packet order, the chunk count and
 * whether INIT, INIT ACK, DATA or ABORT chunks are present.
 */
import { IpProto, type Packet } from '../core/packet.js';
import { SCTP_CHUNK_HEADER_BYTES, SCTP_CHUNK_TYPE_NAMES, SCTP_HEADER_BYTES, SCTP_MAX_CHUNKS } from '../decode/sctp-igmp.js';

const CHUNK_DATA = 0;
const CHUNK_INIT = 1;
const CHUNK_INIT_ACK = 2;
const CHUNK_ABORT = 6;

function bitOf(p: Packet, type: number): boolean {
  return ((p.sctpChunkTypes[type >>> 5] as number) & (1 << (type & 31))) !== 0;
}

/**
 * Returns `,"sctp":{...}` for an SCTP packet, else ''. Types without a
 * name are written as numbers.
 */
// NOTE: `chunk_types` lists at most SCTP_MAX_CHUNKS chunks, so an alert on
// a packet of thousands of chunks stays short. Whether Suricata bounds
// the list was not checked.
export function sctpAlertFields(p: Packet): string {
  const at = p.l4Offset;
  const b = p.bytes;
  if (p.ipProto !== IpProto.SCTP || at < 0 || at + SCTP_HEADER_BYTES > b.length) return '';
  const vtag = (((b[at + 4] as number) << 24) | ((b[at + 5] as number) << 16) | ((b[at + 6] as number) << 8) | (b[at + 7] as number)) >>> 0;

  let types = '';
  const end = Math.min(b.length, p.l3Offset + p.ipTotalLength);
  let listed = 0;
  for (let chunk = at + SCTP_HEADER_BYTES; end - chunk >= SCTP_CHUNK_HEADER_BYTES && listed < SCTP_MAX_CHUNKS; listed++) {
    const type = b[chunk] as number;
    const length = ((b[chunk + 2] as number) << 8) | (b[chunk + 3] as number);
    if (length < SCTP_CHUNK_HEADER_BYTES || length > end - chunk) break;
    const name = SCTP_CHUNK_TYPE_NAMES.get(type);
    types += (listed === 0 ? '' : ',') + (name === undefined ? String(type) : '"' + name + '"');
    chunk += (length + 3) & ~3;
  }

  let out = ',"sctp":{"vtag":' + vtag + ',"chunk_types":[' + types + '],"chunk_cnt":' + p.sctpChunkCount;
  out += ',"has_init":' + bitOf(p, CHUNK_INIT) + ',"has_init_ack":' + bitOf(p, CHUNK_INIT_ACK);
  out += ',"has_data":' + bitOf(p, CHUNK_DATA) + ',"has_abort":' + bitOf(p, CHUNK_ABORT) + '}';
  return out;
}
