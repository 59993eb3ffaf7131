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
import type { RunOptions, RunSummary } from './run-options.js';
import { closeRunOutputs, formatRunSummary, logDirOf, openLogDir, openRunPipeline, prepareRunEngine, sumDecoderEvents, writeStatsEvents } from './run-pipeline.js';

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
function isAborted(opts: RunOptions): boolean {
  return opts.signal?.aborted === true;
}

/** Reads `opts.pcapPath` through the pipeline and writes the configured outputs into the log folder (`-l` or default-log-dir). */
export async function runCapture(opts: RunOptions): Promise<RunSummary> {
  const startedMs = performance.now();
  const engine = prepareRunEngine(opts);
  const isIps = engine.isIps;

  const logDir = logDirOf(engine, opts);
  openLogDir(logDir);
  const capturePaths = listCapturePaths(opts.pcapPath);
  // A single file is opened before any output, so an unreadable capture leaves no empty logs.
  let reader: CaptureReader | null = capturePaths.length === 1 ? openCaptureFile(capturePaths[0]!) : null;
  const run = openRunPipeline(engine, opts, logDir);
  const { pipeline, flows, eve } = run;
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
    writeStatsEvents(run, lastTimestampUs, uptimeS);
  } finally {
    reader?.close();
    closeRunOutputs(run);
  }

  const c = pipeline.counters;
  const summary: RunSummary = {
    packets: c.packets,
    bytes: c.bytes,
    alerts: c.alerts,
    drops: c.blocked,
    decoderEvents: sumDecoderEvents(pipeline),
    rulesLoaded: engine.rules.summary.loaded,
    rulesFailed: engine.rules.summary.failed,
    flows: flows.counters.created,
    elapsedMs: performance.now() - startedMs,
    alertsBySignature: new Map([...c.alertsBySignature].map(([key, v]) => [`${key} ${v.msg}`, v.count])),
    peakMemory: {
      flow: flows.peakMemuseBytes,
      stream: engine.stream.streamMemory.peak,
      reassembly: engine.stream.reassemblyMemory.peak,
    },
  };
  if (!opts.quiet) process.stdout.write(formatSummary(summary, { ...opts, logDir }, isIps));
  return summary;
}

/** Renders the end-of-run summary shown on the terminal. */
export function formatSummary(s: RunSummary, opts: RunOptions, isIps: boolean): string {
  return formatRunSummary(s, opts.pcapPath, opts.logDir ?? '.', isIps);
}
