/**
 * `kapu run -r`: reads a capture file, or a folder of them, through the
 * pipeline and writes EVE JSON and fast.log. The command line, `kapu verify` and the benchmarks all
 * run captures through runCapture.
 */
import { existsSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { CaptureError, ErrorCode } from '../core/errors.js';
import { Packet } from '../core/packet.js';
import { openCaptureFile, type CaptureReader } from '../capture/open-capture-file.js';
import { FlowEndReason } from '../flow/flow.js';
import type { PacketPipeline } from '../engine/pipeline.js';
import { loadRunEngine, RunPipeline } from '../engine/run-pipeline.js';

/**
 * Milliseconds a capture run waits at its end for the notifications still
 * queued (notify); what is left then is not sent.
 */
const NOTIFY_DRAIN_MS = 10_000;
import type { RunOptions, RunSummary } from './run-options.js';

/** Packets processed between yields to the event loop, so timers and signals run. */
const PACKETS_PER_BATCH = 4096;

/**
 * Returns the capture files to read: `path` itself, or for a folder every
 * file below it in path order (files that are not captures are skipped
 * with a warning when opened). Throws KAPU_ERR_CAPTURE_OPEN_FAILED for a
 * folder without files.
 */
export function listCapturePaths(path: string): string[] {
  if (!existsSync(path) || !statSync(path).isDirectory()) return [path];
  const files: string[] = [];
  // Names in one folder are unique, so no two compare equal.
  const byName = (a: Dirent, b: Dirent): number => (a.name < b.name ? -1 : 1);
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort(byName);
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files.push(full);
    }
  };
  walk(path);
  if (files.length === 0) throw new CaptureError(ErrorCode.CAPTURE_OPEN_FAILED, `${path}: the folder has no files; give a capture file or a folder of captures with -r`);
  return files;
}

/** Tells whether the run's abort signal has fired. */
export function isAborted(opts: RunOptions): boolean {
  return opts.signal?.aborted === true;
}

/** Reads `opts.pcapPath` through the pipeline and writes the configured outputs into the log folder (`-l` or default-log-dir). */
export async function runCapture(opts: RunOptions): Promise<RunSummary> {
  const workers = opts.workers ?? 1;
  if (workers > 1) {
    const { runCaptureWorkers } = await import('./run-workers.js');
    return runCaptureWorkers(opts, workers);
  }
  const startedMs = performance.now();
  const engine = loadRunEngine(opts);
  const capturePaths = listCapturePaths(opts.pcapPath);
  // A single file is opened before any output, so an unreadable capture leaves no empty logs.
  let reader: CaptureReader | null = capturePaths.length === 1 ? openCaptureFile(capturePaths[0]!) : null;
  const run = new RunPipeline(engine, opts);
  await run.loadBlocklists();
  const { pipeline, eve } = run;
  for (const writer of eve) writer.setPcapFilename(opts.pcapPath);

  const p = new Packet();
  let lastTimestampUs = 0;
  let firstTimestampUs = -1;
  try {
    // The files of a folder run one after another through the same
    // pipeline, so flows and state carry over from one file to the next.
    for (const capturePath of capturePaths) {
      if (isAborted(opts)) break;
      if (reader === null) {
        try {
          reader = openCaptureFile(capturePath);
        } catch (err) {
          if (!(err instanceof CaptureError)) throw err;
          if (!opts.quiet) process.stderr.write(`kapu: warning: ${err.message}; file skipped\n`);
          continue;
        }
      }
      for (const writer of eve) writer.setPcapFilename(capturePath);
      try {
        for (;;) {
          let batch = 0;
          try {
            while (batch < PACKETS_PER_BATCH && reader.next(p)) {
              if (firstTimestampUs < 0) firstTimestampUs = p.timestampUs;
              lastTimestampUs = p.timestampUs;
              pipeline.processPacket(p);
              batch++;
            }
          } catch (err) {
            // A corrupt record ends the capture as libpcap ends it: the packets
            // before it are analysed and the run completes.
            if (!(err instanceof CaptureError)) throw err;
            if (!opts.quiet) process.stderr.write(`kapu: warning: ${err.message}; the capture ends there, after ${pipeline.counters.packets} packets\n`);
            break;
          }
          if (batch < PACKETS_PER_BATCH) break;
          if (isAborted(opts)) break;
          await new Promise<void>((resolveBatch) => setImmediate(resolveBatch));
        }
      } finally {
        reader.close();
        reader = null;
      }
    }
    pipeline.finish(FlowEndReason.SHUTDOWN);

    const uptimeS = firstTimestampUs < 0 ? 0 : (lastTimestampUs - firstTimestampUs) / 1e6;
    run.writeStats(lastTimestampUs, uptimeS);
    await run.drainNotifications(NOTIFY_DRAIN_MS);
  } finally {
    reader?.close();
    run.close();
  }

  const summary = summarizeRun(run, performance.now() - startedMs);
  const logDir = engine.logDir;
  const isIps = engine.isIps;
  if (!opts.quiet) process.stdout.write(formatSummary(summary, { ...opts, logDir }, isIps));
  return summary;
}

/** Returns the figures of a finished run, as the end-of-run summary shows them. */
export function summarizeRun(run: RunPipeline, elapsedMs: number): RunSummary {
  const { pipeline, flows } = run;
  const { rules, stream } = run.engine;
  const c = pipeline.counters;
  return {
    packets: c.packets,
    bytes: c.bytes,
    alerts: c.alerts,
    drops: c.blocked,
    decoderEvents: sumEvents(pipeline),
    rulesLoaded: rules.summary.loaded,
    rulesFailed: rules.summary.failed,
    flows: flows.counters.created,
    elapsedMs,
    alertsBySignature: new Map([...c.alertsBySignature].map(([key, v]) => [`${key} ${v.msg}`, v.count])),
    shadowHitsBySignature: new Map([...c.shadowHitsBySignature].map(([key, v]) => [`${key} ${v.msg} (configured ${v.configuredAction})`, v.count])),
    peakMemory: {
      flow: flows.peakMemuseBytes,
      stream: stream.streamMemory.peak,
      reassembly: stream.reassemblyMemory.peak,
    },
  };
}

function sumEvents(pipeline: PacketPipeline): number {
  let total = 0;
  for (const count of pipeline.parts.decode.eventCounts) total += count;
  return total;
}

/** Renders the end-of-run summary shown on the terminal. */
export function formatSummary(s: RunSummary, opts: RunOptions, isIps: boolean): string {
  const seconds = s.elapsedMs / 1000;
  const lines: string[] = [];
  lines.push(`kapu: ${opts.pcapPath} (${isIps ? 'IPS' : 'IDS'} mode)`);
  lines.push(`  packets        ${s.packets} (${(s.bytes / 1e6).toFixed(1)} MB), flows ${s.flows}`);
  lines.push(`  rules          ${s.rulesLoaded} loaded, ${s.rulesFailed} failed`);
  lines.push(`  decoder events ${s.decoderEvents}`);
  lines.push(`  alerts         ${s.alerts}${isIps ? `, packets dropped ${s.drops}` : ''}`);
  const top = [...s.alertsBySignature].sort((a, b) => b[1] - a[1]).slice(0, 20);
  for (const [key, count] of top) lines.push(`    ${String(count).padStart(6)}  [${key.replace(' ', '] ')}`);
  if (s.alertsBySignature.size > top.length) lines.push(`    ... ${s.alertsBySignature.size - top.length} more signatures`);
  const shadow = s.shadowHitsBySignature ?? new Map<string, number>();
  if (shadow.size > 0) {
    let total = 0;
    for (const count of shadow.values()) total += count;
    lines.push(`  shadow hits    ${total} (alert-only, policy.shadow)`);
    const topShadow = [...shadow].sort((a, b) => b[1] - a[1]).slice(0, 20);
    for (const [key, count] of topShadow) lines.push(`    ${String(count).padStart(6)}  [${key.replace(' ', '] ')}`);
    if (shadow.size > topShadow.length) lines.push(`    ... ${shadow.size - topShadow.length} more signatures`);
  }
  lines.push(`  output         ${opts.logDir}`);
  lines.push(`  time           ${seconds.toFixed(2)} s`);
  return lines.join('\n') + '\n';
}
