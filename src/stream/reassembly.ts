/**
 * TCP stream reassembly as Suricata 8 does it. Per flow and direction the
 * data of accepted segments goes into a SegmentList by stream offset.
 * The receiving host's policy (host-os-policy) resolves overlaps, except
 * in in-line mode, where the first data stays and the packet is rewritten.
 *
 * The reassembler decides when stream data is inspected ("raw" stream
 * inspection) and describes that data in `inspection`:
 *
 * - IDS mode: a packet inspects the data that its own sender sent and the
 *   receiver acknowledged. It does so once at least the chunk size is
 *   waiting (`stream.reassembly.toserver-chunk-size`, `toclient-chunk-size`),
 *   once an application write ending in PSH is acknowledged, when the
 *   session is closing (last_ack, close_wait, closing, closed), or when the
 *   depth was reached. The rest is inspected at flow end.
 * - In-line mode (`stream.inline`, IPS): a data packet inspects a window of
 *   up to one chunk of contiguous data that ends with its own bytes, so a
 *   pattern split across segments matches on the packet that completes it.
 *
 * Acknowledged data that was never seen is a gap: the acknowledging packet
 * gets stream-event:reassembly_seq_gap and tcp.reassembly_gap rises. Past
 * `stream.reassembly.depth` bytes of a direction nothing more is stored.
 */
import { ChecksumState, Direction, TcpFlag, type Packet } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';
import { STREAM_EVENT_ID_LIMIT, StreamEvent } from './stream-events.js';
import { HostOsPolicyTable, DEFAULT_OS_POLICY } from './overlap-policy.js';
import { InsertStatus, MemoryBudget, SegmentList } from './segment-list.js';
import { TcpResult, TcpState, seqGt, type TcpSession, type TcpStreamState } from './tcp-session.js';
import { MAX_URGENT_OOB_BYTES, UrgentPolicy, urgentByteIndex } from './urgent.js';

/**
 * Bytes of each stream direction that are reassembled, by default. Past
 * this depth packet rules still run, but stream inspection stops for that
 * direction; the packet gets stream-event:reassembly_depth_reached and
 * tcp.stream_depth_reached rises. Config: stream.reassembly.depth (0: no
 * limit).
 */
export const DEFAULT_REASSEMBLY_DEPTH_BYTES = 1024 * 1024;
/**
 * Distance in bytes past the stored data beyond which out-of-order data
 * counts as a new region of the stream (EVE flow `ts_max_regions`).
 * NOTE: 256 KiB is an estimate of Suricata's streaming-buffer region gap.
 * In-order traffic and small holes keep one region either way.
 */
export const STREAM_REGION_GAP_BYTES = 256 * 1024;

/** Acknowledged bytes waiting before IDS inspection; config stream.reassembly.to{server,client}-chunk-size. */
export const DEFAULT_CHUNK_SIZE_BYTES = 2560;
/** Default `stream.memcap` (sessions and segment records), as Suricata's 64 MiB. */
export const DEFAULT_STREAM_MEMCAP_BYTES = 64 * 1024 * 1024;
/** Default `stream.reassembly.memcap` (stream bytes), as Suricata's 256 MiB. */
export const DEFAULT_REASSEMBLY_MEMCAP_BYTES = 256 * 1024 * 1024;
/** Bytes one reassembled session costs against `stream.memcap` before any segment (an estimate of the two direction objects). */
export const SESSION_BYTES_ESTIMATE = 512;
/**
 * Most separate blocks one inspection covers; blocks past it (a stream
 * with more gaps than this in one chunk) are left out of that inspection.
 */
export const MAX_INSPECTION_BLOCKS = 64;
/** Largest TCP payload, the size of the scratch buffer used while inserting. */
const MAX_SEGMENT_BYTES = 65536;

/** Outcome of a memcap exception policy for the current packet. */
export const StreamException = {
  NONE: 0,
  /** The limit was hit and ignored: the segment is not stored. */
  IGNORE: 1,
  DROP_PACKET: 2,
  DROP_FLOW: 3,
  PASS_PACKET: 4,
  PASS_FLOW: 5,
  BYPASS: 6,
  REJECT: 7,
} as const;

/** Policy names as stats counters write them, by StreamException value. */
export const STREAM_EXCEPTION_COUNTER_NAMES: readonly string[] = [
  '',
  'ignore',
  'drop_packet',
  'drop_flow',
  'pass_packet',
  'pass_flow',
  'bypass',
  'reject',
];

/**
 * Resolves a memcap policy name (`stream.memcap-policy`,
 * `stream.reassembly.memcap-policy`) to a StreamException. `auto` is
 * drop-flow in IPS mode and ignore in IDS mode; in IDS mode nothing can be
 * dropped, so drop and reject policies become ignore.
 */
export function resolveStreamExceptionPolicy(name: string, isIps: boolean): number {
  switch (name) {
    case 'auto': return isIps ? StreamException.DROP_FLOW : StreamException.IGNORE;
    case 'drop-packet': return isIps ? StreamException.DROP_PACKET : StreamException.IGNORE;
    case 'drop-flow': return isIps ? StreamException.DROP_FLOW : StreamException.IGNORE;
    case 'reject':
    case 'reject-both':
      return isIps ? StreamException.REJECT : StreamException.IGNORE;
    case 'pass-packet': return StreamException.PASS_PACKET;
    case 'pass-flow': return StreamException.PASS_FLOW;
    case 'bypass': return StreamException.BYPASS;
    default: return StreamException.IGNORE;
  }
}

/** Settings of reassembly, from the `stream` section. */
export interface ReassemblyConfig {
  /** `stream.reassembly.depth` in bytes; 0 means no limit. */
  depth: number;
  toServerChunkSize: number;
  toClientChunkSize: number;
  /** `stream.memcap` in bytes (0: no limit). */
  streamMemcap: number;
  /** `stream.reassembly.memcap` in bytes (0: no limit). */
  reassemblyMemcap: number;
  /** StreamException values of `stream.memcap-policy` and `stream.reassembly.memcap-policy`. */
  streamMemcapAction: number;
  reassemblyMemcapAction: number;
  /** In-line reassembly: first data wins and packets are rewritten to match it. */
  isInline: boolean;
  /**
   * Raise stream-event:reassembly_overlap_different_data. Suricata does
   * so in in-line mode, and in IDS mode when configured or when a rule
   * matches that event.
   */
  checkOverlapDifferentData: boolean;
  hostOsPolicy: HostOsPolicyTable;
  /** UrgentPolicy of `stream.reassembly.urgent.policy` and `oob-limit-policy` (urgent.ts); inline when absent. */
  urgentPolicy?: number;
  urgentOobLimitPolicy?: number;
}

/** Returns reassembly settings with Suricata 8's defaults for IDS (`isIps` false) or IPS mode. */
export function defaultReassemblyConfig(isIps: boolean): ReassemblyConfig {
  return {
    depth: DEFAULT_REASSEMBLY_DEPTH_BYTES,
    toServerChunkSize: DEFAULT_CHUNK_SIZE_BYTES,
    toClientChunkSize: DEFAULT_CHUNK_SIZE_BYTES,
    streamMemcap: DEFAULT_STREAM_MEMCAP_BYTES,
    reassemblyMemcap: DEFAULT_REASSEMBLY_MEMCAP_BYTES,
    streamMemcapAction: resolveStreamExceptionPolicy('auto', isIps),
    reassemblyMemcapAction: resolveStreamExceptionPolicy('auto', isIps),
    isInline: isIps,
    checkOverlapDifferentData: isIps,
    hostOsPolicy: new HostOsPolicyTable(),
  };
}

/** Counters of reassembly, as Suricata's stats name them (`tcp.*`). */
export class ReassemblyCounters {
  /** tcp.segment_memcap_drop: segments not stored for stream.reassembly.memcap or stream.memcap. */
  segmentMemcapDrop: number;
  /** tcp.ssn_memcap_drop: sessions not reassembled for stream.memcap. */
  ssnMemcapDrop: number;
  /** tcp.stream_depth_reached: directions that reached the depth. */
  streamDepthReached: number;
  /** tcp.reassembly_gap. */
  reassemblyGap: number;
  /** tcp.overlap, tcp.overlap_diff_data: segments that overlapped stored data, and those with different bytes. */
  overlap: number;
  overlapDiffData: number;
  /** tcp.pseudo: pseudo packets made to inspect stream data at flow end. */
  pseudo: number;
  /** tcp.urg: packets whose urgent byte lay in their payload. */
  urg: number;
  /** Stream events raised by reassembly, by StreamEvent id (`stream.*` counters). */
  readonly streamEvents: Uint32Array;
  /** Exception policy outcomes, by StreamException value. */
  readonly reassemblyExceptions: Uint32Array;
  readonly ssnExceptions: Uint32Array;

  constructor() {
    this.segmentMemcapDrop = 0;
    this.ssnMemcapDrop = 0;
    this.streamDepthReached = 0;
    this.reassemblyGap = 0;
    this.overlap = 0;
    this.overlapDiffData = 0;
    this.pseudo = 0;
    this.urg = 0;
    this.streamEvents = new Uint32Array(STREAM_EVENT_ID_LIMIT);
    this.reassemblyExceptions = new Uint32Array(STREAM_EXCEPTION_COUNTER_NAMES.length);
    this.ssnExceptions = new Uint32Array(STREAM_EXCEPTION_COUNTER_NAMES.length);
  }
}

/** Reassembly state of the data one side sends. */
export class StreamDirectionState {
  readonly segments: SegmentList;
  /** Sequence number of stream offset 0 (the first data byte); valid when `hasBase`. */
  baseSeq: number;
  hasBase: boolean;
  /** Overlap policy of the receiving host (OsPolicy). */
  policy: number;
  /** Offset up to which the raw stream was inspected. */
  rawProgress: number;
  /** Offset up to which acknowledged data was checked for gaps. */
  ackProgress: number;
  /** End offset of the latest segment with the PSH flag (the end of an application write). */
  pushEnd: number;
  /**
   * Inspected bytes kept before the raw progress while the session is
   * open, set by the app-layer parser (Suricata's minimal inspect depth).
   */
  minInspectDepth: number;
  isDepthReached: boolean;
  /** No more data is stored (exception policy, or the depth). */
  isDisabled: boolean;
  /** Urgent bytes taken out of the stream (urgent policy oob), and the sequence number of the last one. */
  oobBytes: number;
  lastOobSeq: number;
  /**
   * The app-layer parser completed a message in this direction, so IDS
   * mode inspects the acknowledged data on the direction's next packet
   * without waiting for the chunk size.
   */
  isInspectionRequested: boolean;
  /**
   * The app-layer parser of this direction requests inspection after each
   * message it completes, so the PSH stand-in for that request is off.
   * Set by the app layer.
   */
  hasMessageRequests: boolean;

  constructor(recordBudget: MemoryBudget, dataBudget: MemoryBudget) {
    this.segments = new SegmentList(recordBudget, dataBudget);
    this.baseSeq = 0;
    this.hasBase = false;
    this.policy = DEFAULT_OS_POLICY;
    this.rawProgress = 0;
    this.ackProgress = 0;
    this.pushEnd = 0;
    this.minInspectDepth = 0;
    this.isDepthReached = false;
    this.isDisabled = false;
    this.oobBytes = 0;
    this.lastOobSeq = 0;
    this.isInspectionRequested = false;
    this.hasMessageRequests = false;
  }

  reset(): void {
    this.segments.reset();
    this.baseSeq = 0;
    this.hasBase = false;
    this.policy = DEFAULT_OS_POLICY;
    this.rawProgress = 0;
    this.ackProgress = 0;
    this.pushEnd = 0;
    this.minInspectDepth = 0;
    this.isDepthReached = false;
    this.isDisabled = false;
    this.oobBytes = 0;
    this.lastOobSeq = 0;
    this.isInspectionRequested = false;
    this.hasMessageRequests = false;
  }

  /**
   * Stream offset of sequence number `seq`, negative for bytes before the
   * base. Sequence numbers are read relative to the released data, so
   * offsets stay right past 4 GiB as long as a segment lies within 2 GiB
   * of it.
   */
  offsetOf(seq: number): number {
    const ref = this.segments.releasedBase;
    const refSeq = (this.baseSeq + ref) >>> 0;
    return ref + ((seq - refSeq) | 0);
  }
}

/** Reassembly state of one TCP flow; the reassembler pools them. */
export class TcpReassembly {
  /** Data sent by the client, and by the server. */
  readonly toServer: StreamDirectionState;
  readonly toClient: StreamDirectionState;
  /** The host-os-policy lookups were done for this session. */
  hasPolicies: boolean;

  constructor(recordBudget: MemoryBudget, dataBudget: MemoryBudget) {
    this.toServer = new StreamDirectionState(recordBudget, dataBudget);
    this.toClient = new StreamDirectionState(recordBudget, dataBudget);
    this.hasPolicies = false;
  }

  reset(): void {
    this.toServer.reset();
    this.toClient.reset();
    this.hasPolicies = false;
  }
}

/**
 * Stream data ready for inspection: the blocks of contiguous data in
 * [rangeStart, rangeEnd) of one direction. Blocks are separated by gaps
 * and inspected one by one; the alert payload covers the whole range.
 */
export class StreamInspection {
  /** Direction of the data (Direction), or -1 when nothing is ready. */
  direction: number;
  segments: SegmentList | null;
  rangeStart: number;
  rangeEnd: number;
  /**
   * Offset of the first byte not inspected before. In-line windows reach
   * back before the packet's data; a match that lies wholly before this
   * offset was reported by an earlier packet.
   */
  newDataStart: number;
  blockCount: number;
  readonly blockStarts: Float64Array;
  readonly blockEnds: Float64Array;

  constructor() {
    this.direction = -1;
    this.segments = null;
    this.rangeStart = 0;
    this.rangeEnd = 0;
    this.newDataStart = 0;
    this.blockCount = 0;
    this.blockStarts = new Float64Array(MAX_INSPECTION_BLOCKS);
    this.blockEnds = new Float64Array(MAX_INSPECTION_BLOCKS);
  }

  clear(): void {
    this.direction = -1;
    this.segments = null;
    this.blockCount = 0;
  }

  /** Returns the bytes of block `i` as a view (one allocation; call per inspected block, not per packet). */
  block(i: number): { bytes: Uint8Array; start: number; length: number } {
    const segments = this.segments as SegmentList;
    const start = (this.blockStarts[i] as number) - segments.dataBase;
    return { bytes: segments.data, start, length: (this.blockEnds[i] as number) - (this.blockStarts[i] as number) };
  }
}

const GAP_TEXT_ENCODER = new TextEncoder();

/** Most blocks of data and holes an alert payload is built from. */
const MAX_PAYLOAD_BLOCKS = 1024;

/** Reassembles the TCP flows of one worker. */
export class StreamReassembler {
  readonly config: ReassemblyConfig;
  readonly counters: ReassemblyCounters;
  /** Memory against `stream.memcap` (sessions and segment records) and `stream.reassembly.memcap` (stream bytes). */
  readonly streamMemory: MemoryBudget;
  readonly reassemblyMemory: MemoryBudget;
  /** Result of the last `handlePacket`: a StreamException for the pipeline to apply. */
  exceptionAction: number;
  /** The last packet's payload went into the stream. */
  isPacketAdded: boolean;
  /** The last packet carried urgent data that urgent policy drop drops (in-line only). */
  isUrgentDrop: boolean;
  /** Stream data the last packet (or `prepareFlowEnd`) made ready for inspection. */
  readonly inspection: StreamInspection;

  private readonly spare: TcpReassembly[];
  private readonly scratch: Uint8Array;

  constructor(config: ReassemblyConfig) {
    this.config = config;
    this.counters = new ReassemblyCounters();
    this.streamMemory = new MemoryBudget(config.streamMemcap);
    this.reassemblyMemory = new MemoryBudget(config.reassemblyMemcap);
    this.exceptionAction = StreamException.NONE;
    this.isPacketAdded = false;
    this.isUrgentDrop = false;
    this.inspection = new StreamInspection();
    this.spare = [];
    this.scratch = new Uint8Array(MAX_SEGMENT_BYTES);
  }

  /**
   * Updates the reassembly of `flow` with packet `p`, after the session
   * processed it: stores its data, accounts for what it acknowledges, and
   * fills `inspection` with the stream data that is due for inspection.
   */
  handlePacket(p: Packet, flow: Flow | null): void {
    this.exceptionAction = StreamException.NONE;
    this.isPacketAdded = false;
    this.isUrgentDrop = false;
    this.inspection.clear();
    if (flow === null || flow.tcp === null || p.ipProto !== 6 || p.l4Offset < 0) return;
    const session = flow.tcp;
    if (p.l4Checksum === ChecksumState.INVALID) {
      // The session skipped this packet, so its state before the packet is its state now.
      session.stateBefore = session.state;
      return;
    }
    if (session.state === TcpState.NONE) return;

    let reassembly = session.reassembly;
    if (reassembly === null) {
      reassembly = this.acquire();
      if (reassembly === null) {
        this.applyException(this.config.streamMemcapAction, this.counters.ssnExceptions);
        this.counters.ssnMemcapDrop++;
        return;
      }
      session.reassembly = reassembly;
    }
    if (!reassembly.hasPolicies) this.lookUpPolicies(flow, reassembly);

    const isToServer = p.direction === Direction.TO_SERVER;
    const own = isToServer ? reassembly.toServer : reassembly.toClient;
    const ownSide = isToServer ? session.client : session.server;
    const peer = isToServer ? reassembly.toClient : reassembly.toServer;
    const peerSide = isToServer ? session.server : session.client;

    const flags = p.tcpFlags;
    if (p.payloadLength > 0 && (flags & TcpFlag.RST) === 0 && session.lastResult === TcpResult.ACCEPTED) {
      this.insertPayload(p, session, own, ownSide);
    }
    if ((flags & TcpFlag.ACK) !== 0 && peer.hasBase) this.checkAckedGaps(session, peer, peerSide);
    // In a one-sided session the sender's data counts as acknowledged on arrival.
    if (session.isAsync && own.hasBase) this.checkAckedGaps(session, own, ownSide);

    if (this.config.isInline) {
      if (this.isPacketAdded) this.prepareInlineWindow(p, own, isToServer ? Direction.TO_SERVER : Direction.TO_CLIENT);
    } else if (own.hasBase) {
      this.prepareAcked(session, own, ownSide, isToServer);
    }
  }

  /**
   * Fills `inspection` with the data of `direction` not inspected yet, for
   * the end of the flow (Suricata's flow timeout pseudo packets). Returns
   * false when there is none. In in-line mode every stored byte was
   * inspected on arrival, so nothing is left.
   */
  prepareFlowEnd(flow: Flow, direction: number): boolean {
    this.inspection.clear();
    const reassembly = flow.tcp !== null ? flow.tcp.reassembly : null;
    if (reassembly === null || this.config.isInline) return false;
    const stream = direction === Direction.TO_SERVER ? reassembly.toServer : reassembly.toClient;
    if (!stream.hasBase) return false;
    const end = stream.segments.endOffset();
    if (end <= stream.rawProgress) return false;
    this.fillBlocks(stream, direction, stream.rawProgress, end);
    stream.rawProgress = end;
    this.counters.pseudo++;
    return this.inspection.blockCount > 0;
  }

  /** Returns the reassembly state of an ended flow to the pool. */
  release(flow: Flow): void {
    const session = flow.tcp;
    if (session === null || session.reassembly === null) return;
    const reassembly = session.reassembly;
    session.reassembly = null;
    reassembly.reset();
    this.streamMemory.release(SESSION_BYTES_ESTIMATE);
    this.spare.push(reassembly);
  }

  /**
   * Returns the bytes of the inspected range as an alert logs them: each
   * gap appears as the text `[N bytes missing]`, as in Suricata's EVE
   * payload. Allocates; call only when an alert is written.
   */
  payloadOf(inspection: StreamInspection, maxBytes: number): Uint8Array {
    const segments = inspection.segments;
    if (segments === null || inspection.blockCount === 0) return new Uint8Array(0);
    const parts: Uint8Array[] = [];
    let at = inspection.rangeStart;
    let total = 0;
    for (let i = 0; i < inspection.blockCount && total < maxBytes; i++) {
      const start = inspection.blockStarts[i] as number;
      const end = inspection.blockEnds[i] as number;
      if (start > at) {
        const marker = GAP_TEXT_ENCODER.encode('[' + (start - at) + ' bytes missing]');
        parts.push(marker);
        total += marker.length;
      }
      const view = segments.data.subarray(start - segments.dataBase, end - segments.dataBase);
      parts.push(view);
      total += view.length;
      at = end;
    }
    const out = new Uint8Array(Math.min(total, maxBytes));
    let written = 0;
    for (const part of parts) {
      const n = Math.min(part.length, out.length - written);
      out.set(part.subarray(0, n), written);
      written += n;
      if (written === out.length) break;
    }
    return out;
  }

  /**
   * Returns the stored data of one direction of `flow`, from the oldest
   * byte kept to the newest, as an alert on an app-layer transaction logs
   * it: each hole appears as the text `[N bytes missing]`. Allocates; call
   * only when an alert is written.
   */
  directionPayloadOf(flow: Flow, direction: number, maxBytes: number): Uint8Array {
    const reassembly = flow.tcp !== null ? flow.tcp.reassembly : null;
    if (reassembly === null) return new Uint8Array(0);
    const segments = (direction === Direction.TO_SERVER ? reassembly.toServer : reassembly.toClient).segments;
    const parts: Uint8Array[] = [];
    const end = segments.endOffset();
    let at = segments.releasedBase;
    let total = 0;

    // Bounded: each round moves `at` past one block of data.
    for (let round = 0; round < MAX_PAYLOAD_BLOCKS && at < end && total < maxBytes; round++) {
      const blockEnd = segments.contiguousEnd(at);
      if (blockEnd > at) {
        parts.push(segments.data.subarray(at - segments.dataBase, blockEnd - segments.dataBase));
        total += blockEnd - at;
        at = blockEnd;
        continue;
      }
      const next = segments.nextStart(at);
      if (next < 0) break;
      const marker = GAP_TEXT_ENCODER.encode('[' + (next - at) + ' bytes missing]');
      parts.push(marker);
      total += marker.length;
      at = next;
    }

    const out = new Uint8Array(Math.min(total, maxBytes));
    let written = 0;
    for (const part of parts) {
      const n = Math.min(part.length, out.length - written);
      out.set(part.subarray(0, n), written);
      written += n;
      if (written === out.length) break;
    }
    return out;
  }

  private acquire(): TcpReassembly | null {
    if (!this.streamMemory.reserve(SESSION_BYTES_ESTIMATE)) return null;
    const reassembly = this.spare.pop();
    return reassembly ?? new TcpReassembly(this.streamMemory, this.reassemblyMemory);
  }

  /** Looks up the overlap policy of each direction's receiver (the server for client data). */
  private lookUpPolicies(flow: Flow, reassembly: TcpReassembly): void {
    const table = this.config.hostOsPolicy;
    reassembly.toServer.policy = table.lookup(flow.ipVersion, flow.serverAddr);
    reassembly.toClient.policy = table.lookup(flow.ipVersion, flow.clientAddr);
    reassembly.hasPolicies = true;
  }

  private insertPayload(p: Packet, session: TcpSession, stream: StreamDirectionState, side: TcpStreamState): void {
    if (stream.isDisabled) return;
    if (!stream.hasBase) {
      stream.baseSeq = (side.isn + 1) >>> 0;
      stream.hasBase = true;
    }
    // Data on a SYN (TCP Fast Open) starts one after the SYN's sequence number.
    const dataSeq = (p.tcpFlags & TcpFlag.SYN) !== 0 ? (p.tcpSeq + 1) >>> 0 : p.tcpSeq;
    let offset = stream.offsetOf(dataSeq);
    let srcStart = p.payloadOffset;
    let length = p.payloadLength;
    if (offset < 0) {
      // Bytes before the first data byte (a SYN's own sequence number) are not stream data.
      if (offset + length <= 0) return;
      srcStart -= offset;
      length += offset;
      offset = 0;
    }
    const urgentIndex = urgentByteIndex(p) - (srcStart - p.payloadOffset);
    if (urgentIndex >= 0 && urgentIndex < length) {
      this.counters.urg++;
      this.insertUrgent(p, session, stream, side, srcStart, length, offset, urgentIndex);
      return;
    }
    this.insertRange(p, session, stream, side, srcStart, length, offset);
  }

  /**
   * Stores a payload whose byte `urgentIndex` (counted from `srcStart`) is
   * the urgent byte, as the urgent policy decides (urgent.ts).
   */
  private insertUrgent(p: Packet, session: TcpSession, stream: StreamDirectionState, side: TcpStreamState, srcStart: number, length: number, offset: number, urgentIndex: number): void {
    let policy = this.config.urgentPolicy ?? UrgentPolicy.INLINE;
    const urgentSeq = (p.tcpSeq + urgentIndex + (srcStart - p.payloadOffset)) >>> 0;
    const isSeen = policy === UrgentPolicy.OOB && stream.oobBytes > 0 && stream.lastOobSeq === urgentSeq;
    if (policy === UrgentPolicy.OOB && !isSeen && stream.oobBytes >= MAX_URGENT_OOB_BYTES) {
      if (stream.oobBytes === MAX_URGENT_OOB_BYTES) {
        stream.oobBytes++;
        this.raise(session, StreamEvent.REASSEMBLY_URGENT_OOB_LIMIT_REACHED);
      }
      policy = this.config.urgentOobLimitPolicy ?? UrgentPolicy.INLINE;
    }
    const rest = length - urgentIndex - 1;
    switch (policy) {
      case UrgentPolicy.DROP:
        if (this.config.isInline) {
          this.isUrgentDrop = true;
          return;
        }
        this.insertRange(p, session, stream, side, srcStart, length, offset);
        return;
      case UrgentPolicy.GAP:
        this.insertRange(p, session, stream, side, srcStart, urgentIndex, offset);
        this.insertRange(p, session, stream, side, srcStart + urgentIndex + 1, rest, offset + urgentIndex + 1);
        return;
      case UrgentPolicy.OOB: {
        // The bytes after the urgent one move one offset back, and so does
        // every later sequence number. A retransmission of the segment whose
        // byte was taken out already finds the base moved.
        const before = isSeen ? offset + 1 : offset;
        this.insertRange(p, session, stream, side, srcStart, urgentIndex, before);
        this.insertRange(p, session, stream, side, srcStart + urgentIndex + 1, rest, before + urgentIndex);
        if (isSeen) return;
        stream.baseSeq = (stream.baseSeq + 1) >>> 0;
        stream.oobBytes++;
        stream.lastOobSeq = urgentSeq;
        return;
      }
      default:
        this.insertRange(p, session, stream, side, srcStart, length, offset);
    }
  }

  /** Stores `length` payload bytes from `srcStart` at stream offset `offset`, within the depth. */
  private insertRange(p: Packet, session: TcpSession, stream: StreamDirectionState, side: TcpStreamState, srcStart: number, length: number, offset: number): void {
    if (length <= 0) return;
    const depth = this.config.depth;
    if (depth > 0 && offset + length > depth) {
      length = Math.max(0, depth - offset);
      if (!stream.isDepthReached) {
        stream.isDepthReached = true;
        this.raise(session, StreamEvent.REASSEMBLY_DEPTH_REACHED);
        this.counters.streamDepthReached++;
      }
      if (length === 0) {
        stream.isDisabled = true;
        return;
      }
    }

    const segments = stream.segments;
    const endBefore = segments.maxEnd;
    const status = segments.insert(p.bytes, srcStart, length, offset, stream.policy, this.config.isInline, this.scratch);
    if (status === InsertStatus.STREAM_MEMCAP || status === InsertStatus.REASSEMBLY_MEMCAP) {
      this.counters.segmentMemcapDrop++;
      const isStream = status === InsertStatus.STREAM_MEMCAP;
      const action = isStream ? this.config.streamMemcapAction : this.config.reassemblyMemcapAction;
      this.applyException(action, isStream ? this.counters.ssnExceptions : this.counters.reassemblyExceptions);
      if (action === StreamException.DROP_FLOW || action === StreamException.PASS_FLOW || action === StreamException.BYPASS) {
        stream.isDisabled = true;
      }
      return;
    }
    if (status !== InsertStatus.OK) return;
    this.isPacketAdded = true;
    // Regions are recounted only after a segment far past the stored data.
    // NOTE: a segment alone in the middle of a hole wider than twice the
    // gap would also start a region, and it is not counted.
    if (offset > endBefore + STREAM_REGION_GAP_BYTES && segments.count > 1) {
      const regions = segments.regionCount(STREAM_REGION_GAP_BYTES);
      if (regions > side.maxRegions) side.maxRegions = regions;
    }
    if ((p.tcpFlags & TcpFlag.PSH) !== 0 && offset + length > stream.pushEnd) stream.pushEnd = offset + length;

    if (segments.lastOverlap) this.counters.overlap++;
    if (segments.lastDifferentData) {
      // As in Suricata, the event and its counter need the check to be on.
      if (this.config.checkOverlapDifferentData) {
        this.counters.overlapDiffData++;
        this.raise(session, StreamEvent.REASSEMBLY_OVERLAP_DIFFERENT_DATA);
      }
      // In-line, the first data wins: the packet is rewritten to carry it.
      if (this.config.isInline) rewritePayload(p, segments, offset, srcStart, length);
    }
    if (stream.isDepthReached) stream.isDisabled = true;
  }

  /**
   * Checks the data that `session`'s packet acknowledges: bytes the
   * receiver acknowledged that were never seen form a gap, which raises
   * reassembly_seq_gap once and is skipped.
   */
  private checkAckedGaps(session: TcpSession, stream: StreamDirectionState, side: TcpStreamState): void {
    if (!seqGt(side.lastAck, stream.baseSeq)) return;
    const segments = stream.segments;
    // A FIN takes one sequence number after the data.
    const dataEnd = stream.offsetOf(side.nextSeq) - (side.hasFin ? 1 : 0);
    const acked = Math.min(stream.offsetOf(side.lastAck), dataEnd);
    let at = stream.ackProgress;
    while (at < acked) {
      const end = segments.contiguousEnd(at);
      if (end >= acked) {
        at = acked;
        break;
      }
      const next = segments.nextStart(end);
      this.raise(session, StreamEvent.REASSEMBLY_SEQ_GAP);
      this.counters.reassemblyGap++;
      at = next >= 0 && next < acked ? next : acked;
    }
    if (at > stream.ackProgress) stream.ackProgress = at;
    this.releaseInspected(stream, session);
  }

  /** IDS mode: makes the sender's acknowledged data ready when enough waits or the session is closing. */
  private prepareAcked(session: TcpSession, stream: StreamDirectionState, side: TcpStreamState, isToServer: boolean): void {
    if (!seqGt(side.lastAck, stream.baseSeq)) return;
    const acked = Math.min(stream.offsetOf(side.lastAck), stream.segments.endOffset());
    const waiting = acked - stream.rawProgress;
    if (waiting <= 0) return;
    const chunkSize = isToServer ? this.config.toServerChunkSize : this.config.toClientChunkSize;
    const isClosing = session.state > TcpState.TIME_WAIT;
    // A parser that completed a message requests inspection, as Suricata's DNS and HTTP
    // parsers do. For the other parsers a fully acknowledged write (data up to a PSH
    // segment) replaces that request. Data without PSH waits for the chunk size.
    const isWriteAcked = !stream.hasMessageRequests && stream.pushEnd > stream.rawProgress && acked >= stream.pushEnd;
    if (waiting < chunkSize && !isClosing && !stream.isDepthReached && !isWriteAcked && !stream.isInspectionRequested) return;
    stream.isInspectionRequested = false;
    this.fillBlocks(stream, isToServer ? Direction.TO_SERVER : Direction.TO_CLIENT, stream.rawProgress, acked);
    stream.rawProgress = acked;
    this.releaseInspected(stream, session);
  }

  /**
   * In-line mode: the window of contiguous data around the packet's bytes,
   * at most one chunk long and ending with the packet's last byte where
   * the data allows.
   */
  private prepareInlineWindow(p: Packet, stream: StreamDirectionState, direction: number): void {
    const segments = stream.segments;
    const dataSeq = (p.tcpFlags & TcpFlag.SYN) !== 0 ? (p.tcpSeq + 1) >>> 0 : p.tcpSeq;
    const packetStart = Math.max(stream.offsetOf(dataSeq), segments.releasedBase);
    const packetEnd = Math.min(packetStart + p.payloadLength, segments.endOffset());
    const chunkSize = direction === Direction.TO_SERVER ? this.config.toServerChunkSize : this.config.toClientChunkSize;

    const lowest = Math.max(segments.releasedBase, packetEnd - chunkSize);
    const blockStart = Math.min(packetStart, Math.max(segments.blockStart(packetStart), lowest));
    let blockEnd = Math.min(segments.contiguousEnd(packetStart), blockStart + chunkSize);
    if (blockEnd < packetEnd) blockEnd = packetEnd;

    const inspection = this.inspection;
    inspection.direction = direction;
    inspection.segments = segments;
    inspection.rangeStart = blockStart;
    inspection.rangeEnd = blockEnd;
    inspection.newDataStart = packetStart;
    inspection.blockStarts[0] = blockStart;
    inspection.blockEnds[0] = blockEnd;
    inspection.blockCount = 1;
    const contiguous = segments.contiguousEnd(stream.rawProgress);
    if (contiguous > stream.rawProgress) stream.rawProgress = contiguous;
  }

  /** Fills `inspection` with the blocks of stored data in [start, end). */
  private fillBlocks(stream: StreamDirectionState, direction: number, start: number, end: number): void {
    const inspection = this.inspection;
    const segments = stream.segments;
    inspection.direction = direction;
    inspection.segments = segments;
    inspection.rangeStart = start;
    inspection.rangeEnd = end;
    inspection.newDataStart = start;
    inspection.blockCount = 0;
    let at = start;
    while (at < end && inspection.blockCount < MAX_INSPECTION_BLOCKS) {
      const blockEnd = Math.min(segments.contiguousEnd(at), end);
      if (blockEnd > at) {
        inspection.blockStarts[inspection.blockCount] = at;
        inspection.blockEnds[inspection.blockCount] = blockEnd;
        inspection.blockCount++;
      }
      const next = segments.nextStart(blockEnd);
      if (next < 0 || next >= end) break;
      at = next;
    }
  }

  /**
   * Releases data both inspected and checked for gaps. The bytes stay in
   * the buffer until it next needs room, so the current inspection can
   * still read them.
   */
  private releaseInspected(stream: StreamDirectionState, session: TcpSession | null = null): void {
    let upTo = Math.min(stream.rawProgress, stream.ackProgress);
    if (stream.minInspectDepth > 0 && (session === null || session.state !== TcpState.CLOSED)) upTo = Math.min(upTo, stream.rawProgress - stream.minInspectDepth);
    if (upTo > stream.segments.releasedBase && this.inspection.segments !== stream.segments) stream.segments.release(upTo);
  }

  /**
   * Frees the stream buffers of a closed session once all their data was
   * inspected. The pipeline calls it after the packet's inspection, so
   * closed flows waiting for their timeout hold no reassembly memory.
   */
  trimClosed(flow: Flow): void {
    const session = flow.tcp;
    if (session === null || session.state !== TcpState.CLOSED || session.reassembly === null) return;
    this.freeInspected(session.reassembly.toServer);
    this.freeInspected(session.reassembly.toClient);
  }

  private freeInspected(stream: StreamDirectionState): void {
    const upTo = Math.min(stream.rawProgress, stream.ackProgress);
    if (upTo > stream.segments.releasedBase) stream.segments.release(upTo);
    stream.segments.freeIfReleased();
  }

  /** Records a stream event on the current packet and counts it. */
  private raise(session: TcpSession, eventId: number): void {
    session.addEvent(eventId);
    this.counters.streamEvents[eventId]++;
  }

  private applyException(action: number, counters: Uint32Array): void {
    counters[action]++;
    if (action !== StreamException.IGNORE) this.exceptionAction = action;
  }
}

/**
 * Rewrites the packet's payload bytes [srcStart, srcStart + length) with
 * the stored stream data at `offset` and recomputes the TCP checksum, so
 * the packet forwarded in-line carries the data that was inspected.
 */
function rewritePayload(p: Packet, segments: SegmentList, offset: number, srcStart: number, length: number): void {
  segments.copyOut(offset, length, p.bytes, srcStart);
  const at = p.l4Offset;
  const bytes = p.bytes;
  const tcpLength = p.l4HeaderLength + p.payloadLength;
  if (at < 0 || at + 18 > bytes.length || at + tcpLength > bytes.length) return;
  bytes[at + 16] = 0;
  bytes[at + 17] = 0;
  let sum = 0;
  const addressBytes = p.ipVersion === 6 ? 16 : 4;
  for (let i = 0; i < addressBytes; i += 2) {
    sum += ((p.srcAddr[i] as number) << 8) | (p.srcAddr[i + 1] as number);
    sum += ((p.dstAddr[i] as number) << 8) | (p.dstAddr[i + 1] as number);
  }
  sum += 6 + tcpLength;
  for (let i = 0; i + 1 < tcpLength; i += 2) sum += ((bytes[at + i] as number) << 8) | (bytes[at + i + 1] as number);
  if ((tcpLength & 1) !== 0) sum += (bytes[at + tcpLength - 1] as number) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const checksum = ~sum & 0xffff;
  bytes[at + 16] = checksum >>> 8;
  bytes[at + 17] = checksum & 0xff;
}

/**
 * Fills `pseudo` as the packet that carries a flow's remaining stream data
 * at flow end: the flow's addresses and ports in `direction`, no payload,
 * stamped with the flow's last packet time.
 */
export function fillFlowEndPacket(pseudo: Packet, flow: Flow, direction: number, linkType: number): void {
  pseudo.reset(EMPTY_BYTES, flow.lastUs, 0, linkType, 0);
  const toServer = direction === Direction.TO_SERVER;
  pseudo.ipVersion = flow.ipVersion;
  pseudo.ipProto = 6;
  pseudo.l3Offset = 0;
  pseudo.l4Offset = 0;
  pseudo.srcAddr.set(toServer ? flow.clientAddr : flow.serverAddr);
  pseudo.dstAddr.set(toServer ? flow.serverAddr : flow.clientAddr);
  pseudo.src4 = flow.ipVersion === 4 ? readV4(pseudo.srcAddr) : 0;
  pseudo.dst4 = flow.ipVersion === 4 ? readV4(pseudo.dstAddr) : 0;
  pseudo.srcPort = toServer ? flow.clientPort : flow.serverPort;
  pseudo.dstPort = toServer ? flow.serverPort : flow.clientPort;
  pseudo.payloadOffset = -1;
  pseudo.payloadLength = 0;
  pseudo.direction = direction;
}

const EMPTY_BYTES = new Uint8Array(0);

function readV4(addr: Uint8Array): number {
  return (((addr[0] as number) << 24) | ((addr[1] as number) << 16) | ((addr[2] as number) << 8) | (addr[3] as number)) >>> 0;
}

/** Returns the reassembly counters under Suricata 8's stats names. */
export function reassemblyStats(reassembler: StreamReassembler): Map<string, number> {
  const c = reassembler.counters;
  const out = new Map<string, number>([
    ['tcp.ssn_memcap_drop', c.ssnMemcapDrop],
    ['tcp.pseudo', c.pseudo],
    ['tcp.segment_memcap_drop', c.segmentMemcapDrop],
    ['tcp.stream_depth_reached', c.streamDepthReached],
    ['tcp.reassembly_gap', c.reassemblyGap],
    ['tcp.overlap', c.overlap],
    ['tcp.overlap_diff_data', c.overlapDiffData],
    ['tcp.urg', c.urg],
    ['tcp.memuse', reassembler.streamMemory.used],
    ['tcp.reassembly_memuse', reassembler.reassemblyMemory.used],
  ]);
  for (let i = 1; i < STREAM_EXCEPTION_COUNTER_NAMES.length; i++) {
    const name = STREAM_EXCEPTION_COUNTER_NAMES[i] as string;
    out.set('tcp.ssn_memcap_exception_policy.' + name, c.ssnExceptions[i] as number);
    out.set('tcp.reassembly_exception_policy.' + name, c.reassemblyExceptions[i] as number);
  }
  return out;
}
