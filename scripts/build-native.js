#!/usr/bin/env node
// Builds the optional native addon (native/, NFQUEUE and AF_PACKET) with
// node-gyp during `npm install`. Without the system headers it prints one
// line saying what to install and exits 0, so the install still succeeds:
// kapu reads capture files without the addon.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nativeDir = join(root, 'native');
const INSTALL_HINT = 'apt-get install libnetfilter-queue-dev (Debian/Ubuntu; libnetfilter_queue-devel on Fedora)';

function findNodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) {
    return process.env.npm_config_node_gyp;
  }
  const require = createRequire(import.meta.url);
  for (const request of ['node-gyp/bin/node-gyp.js', join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')]) {
    try {
      return require.resolve(request);
    } catch {
      // try the next location
    }
  }
  return null;
}

function skip(reason) {
  console.log(`kapu: native addon not built (${reason}); in-line mode (-q) and live capture (-i) need it: ${INSTALL_HINT}, then run: node scripts/build-native.js`);
  process.exit(0);
}

if (process.platform !== 'linux') {
  console.log('kapu: native addon not built: NFQUEUE and AF_PACKET exist only on Linux; reading capture files works without it');
  process.exit(0);
}
const headerDirs = ['/usr/include', '/usr/local/include'];
if (!headerDirs.some((dir) => existsSync(join(dir, 'libnetfilter_queue/libnetfilter_queue.h')))) {
  skip('libnetfilter_queue headers not found');
}
const nodeGyp = findNodeGyp();
if (nodeGyp === null) skip('node-gyp not found');

const args = [nodeGyp, 'rebuild'];
// Use the installed Node headers when they exist, so the build needs no download.
const nodePrefix = join(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(nodePrefix, 'include/node/node.h'))) {
  args.push(`--nodedir=${nodePrefix}`);
}
const result = spawnSync(process.execPath, args, { cwd: nativeDir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (result.status !== 0) {
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n');
  const firstError = output.find((line) => /error/i.test(line)) ?? output.at(-1) ?? 'no output';
  skip(`node-gyp failed: ${firstError.trim()}`);
}
console.log('kapu: native addon built: native/build/Release/kapu_native.node');
