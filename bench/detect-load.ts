/**
 * How long do parsing a ruleset and building the packet detection engine
 * take, and how much memory do they use? Loads every `.rules` file of a
 * folder (default: Emerging Threats Open in the corpus) or the files
 * given, then prints wall and CPU time of both steps, the resident set
 * size after each, the process's peak, and the engine's table memory.
 * Wall time includes waiting for the CPU, so on a busy machine compare
 * the CPU figures.
 *
 * Run: npx tsc -p tsconfig.json && node dist/bench/detect-load.js [folder | file.rules ...]
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { DetectEngine } from '../src/detect/detect-engine.js';
import { loadRuleFiles } from '../src/detect/rule-files.js';

const BYTES_PER_MB = 1e6;

function ruleFilesOf(args: string[]): string[] {
  const defaultCorpus = fileURLToPath(new URL('../../../shared/corpus', import.meta.url));
  const paths = args.length > 0 ? args : [join(process.env.KAPU_CORPUS ?? defaultCorpus, 'rules', 'et-open')];
  const files: string[] = [];
  for (const path of paths) {
    if (!statSync(path).isDirectory()) {
      files.push(path);
      continue;
    }
    for (const name of readdirSync(path).filter((f) => f.endsWith('.rules')).sort()) files.push(join(path, name));
  }
  return files;
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function rssMb(): string {
  return (process.memoryUsage().rss / BYTES_PER_MB).toFixed(0);
}

const files = ruleFilesOf(process.argv.slice(2));

let wallStart = performance.now();
let cpuStart = cpuMs();
const loaded = loadRuleFiles(files);
const parseWall = performance.now() - wallStart;
const parseCpu = cpuMs() - cpuStart;
const parseRss = rssMb();

wallStart = performance.now();
cpuStart = cpuMs();
const engine = new DetectEngine(loaded.signatures);
const engineWall = performance.now() - wallStart;
const engineCpu = cpuMs() - cpuStart;

console.log(`rule files           ${files.length}`);
console.log(`rules loaded         ${loaded.summary.loaded}, failed ${loaded.summary.failed}, engine skipped ${engine.skipped.length}`);
console.log(`parse                ${parseWall.toFixed(0)} ms (CPU ${parseCpu.toFixed(0)} ms), RSS ${parseRss} MB`);
console.log(`engine build         ${engineWall.toFixed(0)} ms (CPU ${engineCpu.toFixed(0)} ms), RSS ${rssMb()} MB`);
console.log(`total                ${(parseWall + engineWall).toFixed(0)} ms`);
console.log(`peak RSS             ${(process.resourceUsage().maxRSS / 1000).toFixed(0)} MB`);
console.log(`rule groups          ${engine.groups.groups.length}, matchers ${engine.matchers.size}`);
console.log(`engine tables        ${(engine.memoryBytes() / BYTES_PER_MB).toFixed(1)} MB`);
