/**
 * A packet pipeline built from a kapu.yaml text and rule lines, writing
 * eve.json into a scratch folder, for tests that feed crafted frames and
 * read back the packet fates and the EVE events.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LinkType, Packet } from '../core/packet.js';
import { loadConfig } from '../config/load-config.js';
import type { KapuConfig } from '../config/types.js';
import { FlowTable } from '../flow/flow-table.js';
import { EveWriter } from '../output/eve-writer.js';
import { TimestampFormatter } from '../output/eve-time.js';
import { buildDecodeContext, buildDetectEngine, buildThresholdEngine, flowConfigOf, loadRules } from '../engine/build-pipeline.js';
import { PacketPipeline } from '../engine/pipeline.js';
import { ThresholdActionRecorder } from '../engine/threshold-actions.js';
import type { ThresholdEngine } from '../detect/threshold.js';

/** Capture time of the first frame a harness runs: 2024-01-01 00:00:00 UTC, in microseconds. */
export const HARNESS_START_US = 1_704_067_200_000_000;

/** A pipeline over one scratch folder. */
export class PipelineHarness {
  readonly dir: string;
  readonly config: KapuConfig;
  readonly pipeline: PacketPipeline;
  readonly thresholds: ThresholdEngine;
  readonly warnings: string[];
  private readonly eve: EveWriter;
  private pcapCount: number;

  /**
   * Builds the pipeline. `yaml` is the kapu.yaml text, in which `{{dir}}`
   * stands for the scratch folder; `rules` are the rule lines, and
   * `ruleFileName` the name of the rule file (for `group:` matchers).
   */
  constructor(yaml: string, rules: readonly string[], ruleFileName = 'local.rules') {
    this.dir = mkdtempSync(join(tmpdir(), 'kapu-harness-'));
    const configPath = join(this.dir, 'kapu.yaml');
    writeFileSync(configPath, yaml.replaceAll('{{dir}}', this.dir));
    const rulePath = join(this.dir, ruleFileName);
    writeFileSync(rulePath, rules.join('\n') + '\n');
    // The crafted segments start mid-session, which the default midstream policy drops in IPS mode.
    this.config = loadConfig(configPath, ['stream.midstream=true']).config;
    const isIps = this.config.policy.mode === 'ips';
    this.warnings = [];
    const loaded = loadRules(this.config, [rulePath], this.warnings);
    if (loaded.diagnostics.some((d) => d.severity === 'error')) throw new Error(JSON.stringify(loaded.diagnostics));
    this.thresholds = buildThresholdEngine(this.config, loaded, this.warnings);
    const thresholdActions = new ThresholdActionRecorder(this.thresholds);
    const detect = buildDetectEngine(this.config, loaded, thresholdActions);
    const flows = new FlowTable(flowConfigOf(this.config, isIps), () => {});
    const eveConfig = this.config.outputs.eveLogs[0];
    if (eveConfig === undefined) throw new Error('the default config has no eve-log');
    this.eve = new EveWriter(this.dir, eveConfig, isIps, {}, new TimestampFormatter(0));
    this.pipeline = new PacketPipeline({
      decode: buildDecodeContext(this.config, 'none'), flows, defrag: null, detect, thresholdActions,
      eve: [this.eve], fast: null, isIps,
    }, this.config.packetAlertMax);
    this.pcapCount = 0;
  }

  /** Runs one Ethernet frame at `offsetSeconds` after HARNESS_START_US; returns the packet. */
  run(frame: Uint8Array, offsetSeconds = 0): Packet {
    const p = new Packet();
    this.pcapCount++;
    p.reset(frame, HARNESS_START_US + Math.round(offsetSeconds * 1_000_000), frame.length, LinkType.ETHERNET, this.pcapCount);
    this.pipeline.processPacket(p);
    return p;
  }

  /** Returns the EVE events written so far, parsed, of `eventType` when given. */
  events(eventType?: string): Record<string, unknown>[] {
    this.eve.flush();
    const text = readFileSync(join(this.dir, 'eve.json'), 'utf8');
    const all = text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
    return eventType === undefined ? all : all.filter((e) => e['event_type'] === eventType);
  }

  /** Path of the eve.json file. */
  get evePath(): string {
    return join(this.dir, 'eve.json');
  }

  /** Closes the EVE file and removes the scratch folder. */
  dispose(): void {
    this.eve.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
