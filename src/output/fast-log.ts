/**
 * fast.log: one line per alert in Suricata's format,
 * `MM/DD/YYYY-HH:MM:SS.uuuuuu  [**] [gid:sid:rev] msg [**] [Classification: c] [Priority: p] {PROTO} src:sp -> dst:dp`.
 */
import { isAbsolute, join } from 'node:path';
import type { AnomalyFinding } from '../anomaly/finding.js';
import { anomalyFastLogLine } from './eve-anomaly-alert.js';
import type { Packet } from '../core/packet.js';
import { Action } from '../detect/signature.js';
import type { Signature } from '../detect/signature.js';
import { formatIp, protoHasPorts, protoName } from './eve-format.js';
import { TimestampFormatter } from './eve-time.js';
import { BufferedLogFile } from './log-file.js';
import type { LogFileOptions } from './log-file.js';

/** Bytes of a non-IP packet shown in the `[Raw pkt: ...]` part of its line. */
const RAW_PACKET_BYTES = 32;

function isDropLike(action: number): boolean {
  return action === Action.DROP || action === Action.REJECT || action === Action.REJECTSRC || action === Action.REJECTDST || action === Action.REJECTBOTH;
}

/**
 * Builds the fast.log line (without newline) for `sig` matching `p`. A
 * drop or reject rule is marked `[Drop] ` in IPS mode and `[wDrop] `
 * (would drop) otherwise. A signature without a classtype shows
 * `Classification: (null)`, as Suricata prints it. ICMP shows the type and
 * code in the port positions.
 */
export function fastLogLine(time: TimestampFormatter, p: Packet, sig: Signature, ipsMode: boolean): string {
  let marker = '';
  if (isDropLike(sig.action)) marker = ipsMode ? '[Drop] ' : '[wDrop] ';
  const classification = sig.classtype === null ? '(null)' : sig.category;
  let line =
    time.fast(p.timestampUs) + '  ' + marker + '[**] [' + sig.gid + ':' + sig.sid + ':' + sig.rev + '] ' + sig.msg +
    ' [**] [Classification: ' + classification + '] [Priority: ' + sig.priority + ']';
  if (p.ipVersion === 4 || p.ipVersion === 6) {
    let sp = 0;
    let dp = 0;
    if (protoHasPorts(p.ipProto)) {
      sp = p.srcPort;
      dp = p.dstPort;
    } else if (p.ipProto === 1 || p.ipProto === 58) {
      // Suricata's fast.log shows an echo request as `:8 -> :0`.
      // NOTE: type and code are an assumption for messages with a non-zero code.
      sp = p.icmpType;
      dp = p.icmpCode;
    }
    line += ' {' + protoName(p.ipProto) + '} ' + formatIp(p.srcAddr, p.ipVersion) + ':' + sp + ' -> ' + formatIp(p.dstAddr, p.ipVersion) + ':' + dp;
  } else {
    // TODO: Suricata dumps the whole raw packet for non-IP alerts; kapu shows the first 32 bytes.
    line += ' [**] [Raw pkt: ' + hexBytes(p.bytes.subarray(0, RAW_PACKET_BYTES)) + ']';
  }
  return line;
}

function hexBytes(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0) out += ' ';
    out += ((bytes[i] as number) < 16 ? '0' : '') + (bytes[i] as number).toString(16).toUpperCase();
  }
  return out;
}

/** Writes fast.log lines to DIR/FILENAME through a batch buffer. */
export class FastLogWriter {
  readonly file: BufferedLogFile;
  private readonly time: TimestampFormatter;
  private readonly ipsMode: boolean;

  constructor(logDir: string, filename: string, ipsMode: boolean, fileOptions: LogFileOptions = {}, time = new TimestampFormatter()) {
    this.file = new BufferedLogFile(isAbsolute(filename) ? filename : join(logDir, filename), fileOptions);
    this.time = time;
    this.ipsMode = ipsMode;
  }

  /** Writes the line of one alert. */
  alert(p: Packet, sig: Signature): void {
    this.file.writeLine(fastLogLine(this.time, p, sig, this.ipsMode));
  }

  /** Writes the line of one anomaly finding. */
  anomalyAlert(finding: AnomalyFinding): void {
    this.file.writeLine(anomalyFastLogLine(this.time, finding));
  }

  flush(): void {
    this.file.flush();
  }

  reopen(): void {
    this.file.reopen();
  }

  close(): void {
    this.file.close();
  }
}
