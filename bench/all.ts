/**
 * `npm run bench`: the capture benchmarks (run.ts, which takes the command
 * line's options) and then the decode-and-flow benchmark (decode-flow.ts),
 * each in its own process.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const scriptPath = (name: string): string => fileURLToPath(new URL(name, import.meta.url));
const steps: Array<{ script: string; args: string[] }> = [
  { script: scriptPath('./run.js'), args: process.argv.slice(2) },
  { script: scriptPath('./decode-flow.js'), args: [] },
];
for (const step of steps) {
  const result = spawnSync(process.execPath, [step.script, ...step.args], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
