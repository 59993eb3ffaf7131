import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openCaptureFile } from '../capture/open-capture-file.js';
import { CaptureError } from '../core/errors.js';
import { ChecksumState, Packet } from '../core/packet.js';
import { DecodeContext } from './context.js';
import { decodePacket } from './decode-packet.js';
import { CORPUS_DIR } from '../../test/corpus-path.js';

const CORPUS = CORPUS_DIR;
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

const CHECKSUMS = join(MALFORMED, 'zeek', 'chksums');

// Each capture's name says whether its checksums are good or bad, and
// tshark agrees. That includes the IPv6 routing header and home address
// cases, whose pseudo-header uses the final destination and the home
// address:
//   tshark -r ip6-route0-tcp-good-chksum.pcap -o tcp.check_checksum:TRUE -T fields -e tcp.checksum.status
//   1
// The mip6 captures carry a mobility header checksum, which kapu does not check.
test('checksum corpus good and bad', { skip: existsSync(CHECKSUMS) ? false : `${CHECKSUMS} not found` }, () => {
  const names = readdirSync(CHECKSUMS).filter((name) => name.endsWith('.pcap') && !name.startsWith('mip6'));
  assert.ok(names.length >= 20, `${names.length} captures`);
  for (const name of names) {
    const reader = openCaptureFile(join(CHECKSUMS, name));
    const ctx = new DecodeContext('all');
    const p = new Packet();
    let valid = 0;
    let invalid = 0;
    while (reader.next(p)) {
      decodePacket(p, ctx);
      for (const state of [p.ipChecksum, p.l4Checksum]) {
        if (state === ChecksumState.VALID) valid++;
        if (state === ChecksumState.INVALID) invalid++;
      }
    }
    reader.close();
    if (name.includes('-good-')) {
      assert.equal(invalid, 0, name);
      assert.ok(valid > 0, name);
    } else {
      assert.ok(invalid > 0, name);
    }
  }
});
