/**
 * Per-flow SSH state. As in Suricata, an SSH flow has one transaction that
 * contains both identification lines. Each direction is done once its
 * banner is parsed, and its encryption starts at its SSH_MSG_NEWKEYS.
 */
import { Direction } from '../../core/packet.js';
import { addSshPacketFrames, type FlowFrames } from '../frames.js';
import { SshEvent } from './events.js';
import { buildHasshString, hashHassh, readKexInitLists } from './hassh.js';
import { SshParser, type SshBanner, type SshSink } from './parser.js';

/**
 * Maximum number of events kept in `SshState.events`; later ones are counted
 * in `eventsDropped`.
 */
export const MAX_SSH_STATE_EVENTS = 16;

/** The banners and progress of one SSH flow. */
export class SshTransaction {
  readonly txId: number;
  client: SshBanner | null;
  server: SshBanner | null;
  /** True once the direction's banner is parsed (the point where Suricata logs the flow). */
  isToServerDone: boolean;
  isToClientDone: boolean;
  /** True once the direction sent SSH_MSG_NEWKEYS. */
  isToServerEncrypted: boolean;
  isToClientEncrypted: boolean;
  /** HASSH of the client's KEXINIT and HASSHServer of the server's, string and MD5, or null. */
  clientHasshString: string | null;
  clientHassh: string | null;
  serverHasshString: string | null;
  serverHassh: string | null;
  /** HASSH buffers for detect.ts, encoded once: client hash, client string, server hash, server string. */
  readonly hasshBuffers: (Uint8Array | null)[];
  /** SshEvent ids raised on the transaction. */
  events: number[];

  constructor(txId: number) {
    this.txId = txId;
    this.client = null;
    this.server = null;
    this.isToServerDone = false;
    this.isToClientDone = false;
    this.isToServerEncrypted = false;
    this.isToClientEncrypted = false;
    this.clientHasshString = null;
    this.clientHassh = null;
    this.serverHasshString = null;
    this.serverHassh = null;
    this.hasshBuffers = [null, null, null, null];
    this.events = [];
  }

  /** Returns the banner sent in `direction`, or null. */
  banner(direction: number): SshBanner | null {
    return direction === Direction.TO_SERVER ? this.client : this.server;
  }
}

/** Counters of one SSH flow. */
export interface SshCounters {
  packets: number;
  eventsDropped: number;
}

/** SSH state of one TCP flow. */
export class SshState implements SshSink {
  transactions: SshTransaction[];
  events: number[];
  counters: SshCounters;
  /** Frame hook (app/frames.ts): set by the app layer when the run records frames. */
  frames: FlowFrames | null;
  private readonly parsers: SshParser[];
  private direction: number;

  constructor() {
    this.transactions = [new SshTransaction(0)];
    this.events = [];
    this.counters = { packets: 0, eventsDropped: 0 };
    this.parsers = [new SshParser(false), new SshParser(true)];
    this.direction = Direction.TO_SERVER;
    this.frames = null;
  }

  /** The one transaction of the flow. */
  get tx(): SshTransaction {
    return this.transactions[0];
  }

  /** Parses in-order stream bytes of one direction. */
  handleData(direction: number, bytes: Uint8Array, start: number, length: number, _timestampUs: number): void {
    this.direction = direction;
    this.parsers[direction].feed(bytes, start, length, this);
  }

  /** Stops parsing a direction after a gap, unless it is encrypted already. */
  handleGap(direction: number, lengthBytes: number): void {
    if (lengthBytes > 0) this.parsers[direction].markGap();
  }

  /** Marks a direction done. */
  handleEnd(direction: number): void {
    if (direction === Direction.TO_SERVER) this.tx.isToServerDone = true;
    else this.tx.isToClientDone = true;
  }

  /** Drops nothing: an SSH flow keeps its one transaction for its lifetime. */
  pruneTransactions(_txId: number): void {}

  onBanner(banner: SshBanner): void {
    if (this.direction === Direction.TO_SERVER) {
      this.tx.client = banner;
      this.tx.isToServerDone = true;
    } else {
      this.tx.server = banner;
      this.tx.isToClientDone = true;
    }
  }

  onPacket(_messageCode: number, packetBytes: number, headerIndex: number): void {
    this.counters.packets++;
    if (this.frames !== null) addSshPacketFrames(this.frames, this.direction, headerIndex, packetBytes);
  }

  onKexInit(bytes: Uint8Array, length: number): void {
    const lists = readKexInitLists(bytes, length);
    if (lists === null) {
      this.onEvent(SshEvent.INVALID_RECORD);
      return;
    }
    const tx = this.tx;
    if (this.direction === Direction.TO_SERVER && tx.clientHassh === null) {
      tx.clientHasshString = buildHasshString(lists, false);
      tx.clientHassh = hashHassh(tx.clientHasshString);
    } else if (this.direction === Direction.TO_CLIENT && tx.serverHassh === null) {
      tx.serverHasshString = buildHasshString(lists, true);
      tx.serverHassh = hashHassh(tx.serverHasshString);
    }
  }

  onEncrypted(): void {
    if (this.direction === Direction.TO_SERVER) this.tx.isToServerEncrypted = true;
    else this.tx.isToClientEncrypted = true;
  }

  onEvent(event: number): void {
    const tx = this.tx;
    if (!tx.events.includes(event)) tx.events.push(event);
    if (this.events.length < MAX_SSH_STATE_EVENTS) this.events.push(event);
    else this.counters.eventsDropped++;
  }
}
