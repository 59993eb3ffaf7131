import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecodeContext } from '../decode/context.js';
import { DecoderEvent } from '../decode/events.js';
import { Defragmenter, defaultDefragConfig } from './defrag.js';
import { blocks, decodeRaw, ipv4Fragment, ipv6Fragment, letters, NOVAK_PATTERN } from './defrag-test-frames.js';
import { findInvalidHostOsEntries, HostPolicyTable } from './defrag-host-policy.js';
import { DefragPolicy, defragPolicyOfHostOs } from './overlap-policy.js';

// Expected data of the Novak pattern per policy, 8 bytes per letter. The
// rows for bsd, linux, windows, solaris, first and last are the results of
// Suricata's Novak-pattern unit tests. The bsd-right row is worked by
// hand: with no trims, fragments are copied in offset order (equal offsets
// in arrival order) and each overwrites the ones before it.
const EXPECTED: Record<string, string> = {
  bsd: 'AAAJJBCCCLLLMMMFFFGGHHIQ',
  linux: 'AAAJJBKKKLLLMMMFFFGGPHQQ',
  windows: 'AAAJBBCCCLLLMEEFFFGGHHIQ',
  solaris: 'AAAJBBCCCLLLMMMFFFGGHHIQ',
  macos: 'AAAJBBCCCLDLMEEFFFGGHHIQ',
  last: 'AJJJJBKKKLLLMMMFNFGOPHQQ',
  'bsd-right': 'AJJJBBKKKLDLMEEFNFGOPHQQ',
};

function runNovak(version: 4 | 6, hostOs: string): { data: string; overlaps: number; earlyOverlaps: number; ipLength: number } {
  const config = defaultDefragConfig();
  config.hostOsPolicy = { [hostOs]: version === 4 ? ['203.0.113.0/24'] : ['2001:db8::/32'] };
  const defrag = new Defragmenter(config);
  const ctx = new DecodeContext('all');
  let overlaps = 0;
  let earlyOverlaps = 0;
  for (let i = 0; i < NOVAK_PATTERN.length; i++) {
    const f = NOVAK_PATTERN[i]!;
    const spec = { id: 1, offsetBytes: f.offsetBytes, hasMore: f.letter !== 'Q', data: letters(f.letter, f.length) };
    const p = decodeRaw(version === 4 ? ipv4Fragment(spec) : ipv6Fragment(spec), ctx, 1_000_000 + i, i + 1);
    const rebuilt = defrag.handleFragment(p, ctx);
    const overlapEvent = version === 4 ? DecoderEvent.IPV4_FRAG_OVERLAP : DecoderEvent.IPV6_FRAG_OVERLAP;
    if (p.hasEvent(overlapEvent)) {
      overlaps++;
      if (i < 9) earlyOverlaps++;
    }
    if (i < NOVAK_PATTERN.length - 1) {
      assert.equal(rebuilt, null, `fragment ${f.letter} completed the datagram early`);
      continue;
    }
    assert.notEqual(rebuilt, null);
    const r = rebuilt!;
    const dataStart = r.l3Offset + (version === 4 ? 20 : 40);
    const data = Buffer.from(r.bytes.subarray(dataStart)).toString('latin1');
    return { data, overlaps, earlyOverlaps, ipLength: r.ipTotalLength };
  }
  throw new Error('pattern has no last fragment');
}

for (const [hostOs, expected] of Object.entries(EXPECTED)) {
  test(`novak pattern ipv4 ${hostOs}`, () => {
    const result = runNovak(4, hostOs);
    assert.equal(result.data, blocks(expected));
    assert.equal(result.ipLength, 20 + 192);
    assert.equal(result.earlyOverlaps, 0);
    assert.ok(result.overlaps > 0);
  });

  test(`novak pattern ipv6 ${hostOs}`, () => {
    const result = runNovak(6, hostOs);
    assert.equal(result.data, blocks(expected));
    assert.equal(result.ipLength, 40 + 192);
    assert.equal(result.earlyOverlaps, 0);
    assert.ok(result.overlaps > 0);
  });
}

test('host os names map to policies', () => {
  assert.equal(defragPolicyOfHostOs('bsd'), DefragPolicy.BSD);
  assert.equal(defragPolicyOfHostOs('hpux10'), DefragPolicy.BSD);
  assert.equal(defragPolicyOfHostOs('irix'), DefragPolicy.BSD);
  assert.equal(defragPolicyOfHostOs('bsd-right'), DefragPolicy.BSD_RIGHT);
  assert.equal(defragPolicyOfHostOs('old-linux'), DefragPolicy.LINUX);
  assert.equal(defragPolicyOfHostOs('linux'), DefragPolicy.LINUX);
  assert.equal(defragPolicyOfHostOs('old-solaris'), DefragPolicy.FIRST);
  assert.equal(defragPolicyOfHostOs('hpux11'), DefragPolicy.FIRST);
  assert.equal(defragPolicyOfHostOs('macos'), DefragPolicy.FIRST);
  assert.equal(defragPolicyOfHostOs('solaris'), DefragPolicy.SOLARIS);
  assert.equal(defragPolicyOfHostOs('windows'), DefragPolicy.WINDOWS);
  assert.equal(defragPolicyOfHostOs('vista'), DefragPolicy.WINDOWS);
  assert.equal(defragPolicyOfHostOs('windows2k3'), DefragPolicy.WINDOWS);
  assert.equal(defragPolicyOfHostOs('unknown-os'), DefragPolicy.BSD);
});

test('policy chosen by most specific network', () => {
  // 203.0.113.2 is in both; the /24 is more specific, so linux applies and
  // the later K wins over C at offset 48.
  const config = defaultDefragConfig();
  config.hostOsPolicy = { windows: ['0.0.0.0/0'], linux: ['203.0.113.0/24'] };
  const defrag = new Defragmenter(config);
  const ctx = new DecodeContext('all');
  const send = (offsetBytes: number, hasMore: boolean, letter: string, n: number) =>
    defrag.handleFragment(decodeRaw(ipv4Fragment({ id: 9, offsetBytes, hasMore, data: letters(letter, n) }), ctx), ctx);
  assert.equal(send(0, true, 'C', 16), null);
  const r = send(0, false, 'K', 16);
  assert.notEqual(r, null);
  assert.equal(Buffer.from(r!.bytes.subarray(20)).toString('latin1'), 'K'.repeat(16));
});

test('host os networks parse', () => {
  assert.deepEqual(findInvalidHostOsEntries({ linux: ['10.0.0.0/8', '192.0.2.7', '2001:db8::/32', '::1', 'fe80::1:2:3:4'] }), []);
  assert.deepEqual(findInvalidHostOsEntries({ bsd: ['10.0.0.300/8', '2001:db8::/129', 'host'] }), [
    "host-os-policy.bsd: '10.0.0.300/8' is not an IP address or network (expected a.b.c.d, a.b.c.d/n, an IPv6 address or ipv6/n)",
    "host-os-policy.bsd: '2001:db8::/129' is not an IP address or network (expected a.b.c.d, a.b.c.d/n, an IPv6 address or ipv6/n)",
    "host-os-policy.bsd: 'host' is not an IP address or network (expected a.b.c.d, a.b.c.d/n, an IPv6 address or ipv6/n)",
  ]);
});

test('host os policy by address', () => {
  const table = new HostPolicyTable({ windows: ['0.0.0.0/0'], solaris: ['192.0.2.0/24'], linux: ['192.0.2.128/25', '2001:db8:1::/48'] });
  const v4 = (a: number, b: number, c: number, d: number) => Uint8Array.from([a, b, c, d, ...new Array<number>(12).fill(0)]);
  assert.equal(table.policyOf(4, v4(198, 51, 100, 1)), DefragPolicy.WINDOWS);
  assert.equal(table.policyOf(4, v4(192, 0, 2, 1)), DefragPolicy.SOLARIS);
  assert.equal(table.policyOf(4, v4(192, 0, 2, 200)), DefragPolicy.LINUX);
  const v6 = Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]);
  assert.equal(table.policyOf(6, v6), DefragPolicy.LINUX);
  v6[5] = 2;
  // IPv6 outside every listed network: the bsd default (0.0.0.0/0 covers IPv4 only).
  assert.equal(table.policyOf(6, v6), DefragPolicy.BSD);
});
