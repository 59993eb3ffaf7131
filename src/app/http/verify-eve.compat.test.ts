/**
 * Runs the `http` and `fileinfo` checks of suricata-verify cases on the
 * EVE objects this parser builds. Each case's pcap is split into TCP
 * streams and parsed. Every check filter on event_type http or fileinfo
 * must then match as many transactions or files as Suricata wrote events.
 * Only the http.*, fileinfo.* and tx_id keys of a filter are compared;
 * the cases chosen run with Suricata's stock config.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readTcpStreams } from '../common/test-streams.js';
import { buildHttpEve } from './eve.js';
import { ALL_FILE_HASHES, defaultHttpConfig, HttpState } from './state.js';
import { CORPUS_DIR } from '../../../test/corpus-path.js';

function findVerifyDir(): string | null {
  const candidates = [process.env.KAPU_CORPUS, '../shared/corpus', CORPUS_DIR];
  for (const root of candidates) {
    if (root !== undefined && existsSync(join(root, 'suricata-verify'))) return join(root, 'suricata-verify');
  }
  return null;
}

const VERIFY_DIR = findVerifyDir();
const SKIP = VERIFY_DIR === null ? 'suricata-verify corpus not found (set KAPU_CORPUS)' : false;

/**
 * Cases with HTTP/1.x http or fileinfo checks and no suricata.yaml of
 * their own, and file-match-crossed, whose suricata.yaml only adds the
 * sha256 of files to fileinfo.
 */
const CASES = [
  'file-match-crossed',
  'base64-issue-5223', 'bug-130', 'bug-3286-01-no-evasion', 'bug-3286-02-linux-evasion', 'bug-3286-03-windows-evasion',
  'bug-6269-01', 'bug-7657-01', 'bug-7851-01', 'bug-814', 'decode-chdlc-01', 'decode-teredo-01',
  'http-async-srv', 'http-ipv6', 'http-not09', 'security-4710-01', 'security-4710-02', 'tcp-fastopen-06',
];

interface Filter {
  count?: number;
  match: Record<string, unknown>;
}

/** Returns the EVE-like records of a capture: one per transaction and one per file. */
function eveRecords(pcap: string): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  for (const conn of readTcpStreams(pcap)) {
    // Every digest, so the fileinfo checks of force-hash configs find theirs.
    const state = new HttpState({ ...defaultHttpConfig(), fileHashes: ALL_FILE_HASHES });
    for (const chunk of conn.chunks) state.handleData(chunk.direction, chunk.bytes, 0, chunk.bytes.length, 0);
    state.handleEnd(0);
    state.handleEnd(1);
    for (const tx of state.transactions) {
      const http = JSON.parse(buildHttpEve(tx)) as unknown;
      records.push({ event_type: 'http', tx_id: tx.txId, http });
      for (const file of tx.files) {
        const fileinfo = {
          filename: Buffer.from(file.name).toString('latin1'), gaps: false, state: file.state, stored: false,
          size: file.size, tx_id: tx.txId, md5: file.md5, sha1: file.sha1, sha256: file.sha256,
        };
        records.push({ event_type: 'fileinfo', tx_id: tx.txId, http, fileinfo });
      }
    }
  }
  return records;
}

function valueAt(record: Record<string, unknown>, path: string): unknown {
  let value: unknown = record;
  for (const part of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
  return value;
}

for (const name of CASES) {
  test(`verify http eve ${name}`, { skip: SKIP }, () => {
    const dir = join(VERIFY_DIR ?? '', name);
    const spec = parse(readFileSync(join(dir, 'test.yaml'), 'utf8')) as { pcap?: string; checks?: { filter?: Filter }[] };
    const pcapName = spec.pcap ?? readdirSync(dir).find((f) => f.endsWith('.pcap') || f.endsWith('.pcapng'));
    assert.ok(pcapName !== undefined, `no pcap in ${dir}`);
    const records = eveRecords(join(dir, pcapName));
    let checked = 0;
    for (const check of spec.checks ?? []) {
      const filter = check.filter;
      const eventType = filter?.match.event_type;
      if (filter === undefined || (eventType !== 'http' && eventType !== 'fileinfo')) continue;
      const keys = Object.keys(filter.match).filter((k) => k.startsWith('http.') || k.startsWith('fileinfo.') || k === 'tx_id');
      const matched = records.filter((r) => r.event_type === eventType && keys.every((k) => String(valueAt(r, k)) === String(filter.match[k])));
      const label = `${eventType} ${JSON.stringify(Object.fromEntries(keys.map((k) => [k, filter.match[k]])))}`;
      if (filter.count === undefined) assert.ok(matched.length > 0, label);
      else assert.equal(matched.length, filter.count, label);
      checked++;
    }
    assert.ok(checked > 0, 'the case has http or fileinfo checks');
  });
}
