import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openCaptureFile } from '../capture/open-capture-file.js';
import { CaptureError } from '../core/errors.js';
import { Packet } from '../core/packet.js';
import { DecodeContext } from './context.js';
import { decodePacket } from './decode-packet.js';

const CORPUS = process.env['KAPU_CORPUS'] ?? '/work/shared/corpus';
const MALFORMED = join(CORPUS, 'pcaps', 'malformed');

/** Whole folder: 880 small files, read in about 0.3 s on one core; the bound leaves room for slow CI machines. */
const TIME_LIMIT_MS = 30_000;
/** Heap growth allowed across the whole folder: the readers and decoder keep no per-packet state. */
const HEAP_GROWTH_LIMIT_BYTES = 64 * 1024 * 1024;

function listFiles(dir: string, found: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) listFiles(path, found);
    else found.push(path);
  }
}

test('malformed corpus decodes without exceptions', { skip: existsSync(MALFORMED) ? false : `${MALFORMED} not found` }, () => {
  const files: string[] = [];
  listFiles(MALFORMED, files);
  const ctx = new DecodeContext('all');
  const p = new Packet();
  let captures = 0;
  let notCaptures = 0;
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = Date.now();

  for (const path of files) {
    let reader;
    try {
      reader = openCaptureFile(path);
    } catch (err) {
      assert.ok(err instanceof CaptureError, `${path}: ${String(err)}`);
      notCaptures++;
      continue;
    }
    captures++;
    try {
      while (reader.next(p)) decodePacket(p, ctx);
    } catch (err) {
      // A corrupt record inside a capture must be a CaptureError too.
      assert.ok(err instanceof CaptureError, `${path}: ${String(err)}`);
    } finally {
      reader.close();
    }
  }

  const elapsedMs = Date.now() - started;
  global.gc?.();
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  assert.ok(captures > 800, `only ${captures} captures read`);
  // LICENSE, COPYING and the gzip-compressed captures are not captures.
  assert.ok(notCaptures >= 2, `${notCaptures} files raised CaptureError`);
  assert.ok(ctx.stat('decoder.pkts') > 10_000);
  assert.ok(elapsedMs < TIME_LIMIT_MS, `took ${elapsedMs} ms`);
  assert.ok(heapGrowth < HEAP_GROWTH_LIMIT_BYTES, `heap grew by ${heapGrowth} bytes`);
});
