/**
 * Inspection of reassembled TCP stream data (Suricata's raw stream). A
 * signature whose payload keywords apply to `pkt_data` inspects, by its
 * protocol and `flow` options:
 *
 * | signature                               | inspects                     |
 * |-----------------------------------------|------------------------------|
 * | `tcp-pkt`, `flow:no_stream`, or `dsize` | packet payloads only         |
 * | `tcp-stream`, `flow:only_stream`        | stream data only             |
 * | any other that can match TCP            | stream data first, then the packet payload unless that payload went into the stream |
 *
 * so on a reassembled session a `tcp` rule matches each byte once, in the
 * stream, as Suricata's engine does. A stream match sets `stream: 1` on the
 * alert, with the stream bytes as its payload.
 */
import type { Packet } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';
import type { StreamInspection, StreamReassembler } from '../stream/reassembly.js';
import type { AlertQueue, BufferProvider, BufferView, DetectEngine } from './detect-engine.js';
import { ProtoKind } from './rule-group.js';
import { FlowFlag, type Signature } from './signature.js';
import { PKT_DATA } from './keywords/pkt-data.js';

/** Name of the raw stream buffer. Rules reach it through `pkt_data`; the name appears in explanations only. */
export const RAW_STREAM = 'stream';

/** Data that a signature's `pkt_data` keywords inspect. */
export const StreamMode = {
  /** Packet payloads only. */
  PACKET: 0,
  /** The stream, then packet payloads that did not go into the stream. */
  BOTH: 1,
  /** The stream only. */
  STREAM: 2,
} as const;

/** Returns the StreamMode of a signature with header protocol kind `protoKind` (ProtoKind). */
export function streamModeOf(sig: Signature, protoKind: number): number {
  let inspectsPayload = false;
  for (const inspection of sig.buffers) {
    if (inspection.buffer === PKT_DATA) inspectsPayload = true;
  }
  if (protoKind === ProtoKind.TCP_STREAM || (sig.flowFlags & FlowFlag.ONLY_STREAM) !== 0) return StreamMode.STREAM;
  if (!inspectsPayload || protoKind === ProtoKind.TCP_PKT || (sig.flowFlags & FlowFlag.NO_STREAM) !== 0) return StreamMode.PACKET;
  switch (protoKind) {
    case ProtoKind.TCP:
    case ProtoKind.IP:
    case ProtoKind.IPV4:
    case ProtoKind.IPV6:
    case ProtoKind.APP:
      break;
    default:
      return StreamMode.PACKET;
  }
  // dsize describes one packet, so such a rule inspects packets (Suricata's packet-only signatures).
  for (const m of sig.packetMatches) {
    if (m.keyword === 'dsize') return StreamMode.PACKET;
  }
  return StreamMode.BOTH;
}

/**
 * The stream block that the current inspection reads, and how the current
 * packet relates to the stream. The engine owns one and the caller sets
 * it before each `inspectPacket`.
 */
export class StreamBufferProvider implements BufferProvider {
  readonly name = RAW_STREAM;
  /** A stream block is set for this inspection. */
  hasBlock: boolean;
  bytes: Uint8Array;
  start: number;
  length: number;
  /** Leading bytes of the block that an earlier inspection already covered. */
  priorLength: number;
  /** The packet's payload went into the stream, so BOTH signatures skip it. */
  isPacketInStream: boolean;
  /** Only stream matches count (pseudo packets, and blocks after the first). */
  isStreamOnly: boolean;

  constructor() {
    this.hasBlock = false;
    this.bytes = new Uint8Array(0);
    this.start = 0;
    this.length = 0;
    this.priorLength = 0;
    this.isPacketInStream = false;
    this.isStreamOnly = false;
  }

  clear(): void {
    this.hasBlock = false;
    this.bytes = EMPTY;
    this.start = 0;
    this.length = 0;
    this.priorLength = 0;
    this.isPacketInStream = false;
    this.isStreamOnly = false;
  }

  /** Selects block `i` of `inspection`. */
  setBlock(inspection: StreamInspection, i: number): void {
    const segments = inspection.segments;
    if (segments === null) {
      this.hasBlock = false;
      return;
    }
    const blockStart = inspection.blockStarts[i] as number;
    this.hasBlock = true;
    this.bytes = segments.data;
    this.start = blockStart - segments.dataBase;
    const blockEnd = inspection.blockEnds[i] as number;
    this.length = blockEnd - blockStart;
    this.priorLength = Math.max(0, Math.min(inspection.newDataStart, blockEnd) - blockStart);
  }

  fill(_p: Packet, _flow: Flow | null, out: BufferView): boolean {
    if (!this.hasBlock || this.length === 0) return false;
    out.bytes = this.bytes;
    out.start = this.start;
    out.length = this.length;
    return true;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * Runs detection for packet `p` with the stream data the reassembler made
 * ready: the first block together with the packet, then each further
 * block alone, so a signature alerts at most once per packet. With
 * `isStreamOnly` (pseudo packets at flow end) only stream matches count.
 */
export function inspectWithStream(
  engine: DetectEngine,
  p: Packet,
  flow: Flow | null,
  reassembler: StreamReassembler | null,
  out: AlertQueue,
  isStreamOnly: boolean,
): void {
  const provider = engine.stream;
  provider.clear();
  if (reassembler === null) {
    engine.inspectPacket(p, flow, out);
    return;
  }
  const inspection = reassembler.inspection;
  provider.isPacketInStream = reassembler.isPacketAdded;
  provider.isStreamOnly = isStreamOnly;
  if (inspection.blockCount > 0) provider.setBlock(inspection, 0);
  engine.inspectPacket(p, flow, out);
  for (let i = 1; i < inspection.blockCount; i++) {
    provider.setBlock(inspection, i);
    provider.isStreamOnly = true;
    engine.inspectPacket(p, flow, out);
  }
  provider.clear();
}
