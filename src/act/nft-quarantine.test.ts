import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, KapuError } from '../core/errors.js';
import { parsePrefix, type AddressPrefix } from '../policy/quarantine-address.js';
import { elementsOfSetJson, NftQuarantine, nftTimeout, type NftRunner } from './nft-quarantine.js';

function prefix(text: string): AddressPrefix {
  const result = parsePrefix(text);
  assert.ok(result.ok);
  return result.prefix;
}

function recorder(status: number | null = 0, stderr = ''): { runner: NftRunner; calls: { args: readonly string[]; input: string }[] } {
  const calls: { args: readonly string[]; input: string }[] = [];
  return { calls, runner: async (args, input) => { calls.push({ args, input }); return { status, stdout: '', stderr }; } };
}

const OPTIONS = { table: 'kapu_quarantine', hooks: ['forward', 'input'] as const, management: [prefix('198.51.100.1'), prefix('2001:db8:1::1'), prefix('198.51.100.0/30')], rates: [] };

test('setup batch sets chains and sets', () => {
  const batch = new NftQuarantine({ ...OPTIONS, hooks: [...OPTIONS.hooks] }).setupBatch().split('\n');
  assert.ok(batch.includes('add set inet kapu_quarantine quarantine4 { type ipv4_addr; flags interval, timeout; }'));
  assert.ok(batch.includes('add set inet kapu_quarantine quarantine6 { type ipv6_addr; flags interval, timeout; }'));
  assert.ok(batch.includes('add element inet kapu_quarantine management4 { 198.51.100.1, 198.51.100.0/30 }'));
  assert.ok(batch.includes('add element inet kapu_quarantine management6 { 2001:db8:1::1 }'));
  assert.ok(batch.includes('add chain inet kapu_quarantine quarantine_forward { type filter hook forward priority -10; policy accept; }'));
  // Management traffic is accepted before the drops, in both directions.
  const forward = batch.filter((line) => line.startsWith('add rule inet kapu_quarantine quarantine_forward '));
  assert.deepEqual(forward.slice(0, 4).map((line) => line.slice('add rule inet kapu_quarantine quarantine_forward '.length)), [
    'ip saddr @quarantine4 ip daddr @management4 accept',
    'ip daddr @quarantine4 ip saddr @management4 accept',
    'ip saddr @quarantine4 counter drop',
    'ip daddr @quarantine4 counter drop',
  ]);
  assert.equal(forward.length, 8);
  assert.equal(batch.filter((line) => line.startsWith('add rule inet kapu_quarantine quarantine_input ')).length, 8);
  // The hook not configured loses its chain.
  assert.ok(batch.includes('delete chain inet kapu_quarantine quarantine_output'));
  assert.equal(batch.filter((line) => line.startsWith('add rule inet kapu_quarantine quarantine_output ')).length, 0);
});

test('add batch replaces with timeout', () => {
  const nft = new NftQuarantine({ ...OPTIONS, hooks: ['forward'] });
  assert.equal(nft.addBatch(prefix('2001:db8:1::/64'), 3000), [
    'add element inet kapu_quarantine quarantine6 { 2001:db8:1::/64 timeout 1s }',
    'delete element inet kapu_quarantine quarantine6 { 2001:db8:1::/64 }',
    'add element inet kapu_quarantine quarantine6 { 2001:db8:1::/64 timeout 3000ms }',
    '',
  ].join('\n'));
  assert.equal(nft.removeBatch(prefix('198.51.100.2')), 'add element inet kapu_quarantine quarantine4 { 198.51.100.2 timeout 1s }\ndelete element inet kapu_quarantine quarantine4 { 198.51.100.2 }\n');
  assert.equal(nft.teardownBatch(), 'add table inet kapu_quarantine\ndelete table inet kapu_quarantine\n');
});

test('nft timeout rounds up ms', () => {
  assert.equal(nftTimeout(2500.2), '2501ms');
  assert.equal(nftTimeout(0), '1ms');
});

test('batches go to nft stdin', async () => {
  const { runner, calls } = recorder();
  const nft = new NftQuarantine({ ...OPTIONS, hooks: ['forward'] }, runner);
  await nft.add(prefix('198.51.100.2'), 1000);
  assert.equal(calls.length, 1);
  assert.deepEqual(calls[0]?.args, ['-f', '-']);
  assert.match(calls[0]?.input ?? '', /198\.51\.100\.2 timeout 1000ms/);
});

test('nft failure names error and fix', async () => {
  const { runner } = recorder(1, 'Error: Could not process rule: Operation not permitted\nmore');
  const nft = new NftQuarantine({ ...OPTIONS, hooks: ['forward'] }, runner);
  await assert.rejects(nft.setup(), (err: unknown) => {
    assert.ok(err instanceof KapuError);
    assert.equal(err.code, ErrorCode.QUARANTINE_FIREWALL_FAILED);
    assert.equal(err.message, 'nft could not set up the quarantine table: Error: Could not process rule: Operation not permitted; run as root or with CAP_NET_ADMIN');
    return true;
  });
});

test('table name checked', () => {
  assert.throws(() => new NftQuarantine({ ...OPTIONS, hooks: ['forward'], table: 'kapu; flush ruleset' }), /quarantine table name 'kapu; flush ruleset' is invalid/);
});

test('set json elements read', () => {
  // As nft 1.0.6 prints `nft -j list set` for a host and a prefix.
  const json = '{"nftables": [{"metainfo": {"version": "1.0.6"}}, {"set": {"family": "inet", "name": "quarantine6", "table": "kapu_quarantine", "type": "ipv6_addr", "flags": ["interval", "timeout"], "elem": [{"elem": {"val": {"prefix": {"addr": "2001:db8:1::", "len": 64}}, "timeout": 3600, "expires": 3599}}, {"elem": {"val": "2001:db8:2::9", "timeout": 30, "expires": 29}}]}}]}';
  assert.deepEqual(elementsOfSetJson(json), [
    { prefix: '2001:db8:1::/64', expiresInMs: 3_599_000 },
    { prefix: '2001:db8:2::9', expiresInMs: 29_000 },
  ]);
  assert.deepEqual(elementsOfSetJson('not json'), []);
});

const RATES = [{ packetsPerS: 20, bytesPerS: null }, { packetsPerS: 100, bytesPerS: 125_000 }];

test('setup batch adds rate limit rules', () => {
  const batch = new NftQuarantine({ ...OPTIONS, hooks: ['forward'], rates: RATES }).setupBatch().split('\n');
  const t = 'inet kapu_quarantine';
  for (const line of [
    `add set ${t} ratelimit4_0 { type ipv4_addr; flags timeout; }`,
    `add set ${t} ratelimit6_1 { type ipv6_addr; flags timeout; }`,
    `add set ${t} rlpkt4_0_src { type ipv4_addr; flags dynamic, timeout; timeout 60s; }`,
    `flush set ${t} rlpkt4_0_src`,
    `add set ${t} rlbyte6_1_dst { type ipv6_addr; flags dynamic, timeout; timeout 60s; }`,
  ]) assert.ok(batch.includes(line), line);
  // Rate 0 has no byte rate, so no byte meters.
  assert.ok(!batch.some((line) => line.includes('rlbyte4_0')));

  const rules = batch.filter((line) => line.startsWith(`add rule ${t} quarantine_forward `)).map((line) => line.slice(`add rule ${t} quarantine_forward `.length));
  // 8 quarantine rules, then per family: rate 0 has 2 management and 2 packet rules, rate 1 adds 2 byte rules.
  assert.equal(rules.length, 8 + 2 * 4 + 2 * 6);
  assert.deepEqual(rules.slice(8, 12), [
    'ip saddr @ratelimit4_0 ip daddr @management4 accept',
    'ip daddr @ratelimit4_0 ip saddr @management4 accept',
    'ip saddr @ratelimit4_0 update @rlpkt4_0_src { ip saddr limit rate over 20/second } counter drop',
    'ip daddr @ratelimit4_0 update @rlpkt4_0_dst { ip daddr limit rate over 20/second } counter drop',
  ]);
  assert.ok(rules.includes('ip6 saddr @ratelimit6_1 update @rlbyte6_1_src { ip6 saddr limit rate over 125000 bytes/second } counter drop'));
  assert.ok(rules.includes('ip6 daddr @ratelimit6_1 update @rlpkt6_1_dst { ip6 daddr limit rate over 100/second } counter drop'));
});

test('limit batch picks rate set', () => {
  const nft = new NftQuarantine({ ...OPTIONS, hooks: ['forward'], rates: RATES });
  assert.equal(nft.addLimitBatch(prefix('2001:db8:1::2'), { packetsPerS: 100, bytesPerS: 125_000 }, 5000), [
    'add element inet kapu_quarantine ratelimit6_1 { 2001:db8:1::2 timeout 1s }',
    'delete element inet kapu_quarantine ratelimit6_1 { 2001:db8:1::2 }',
    'add element inet kapu_quarantine ratelimit6_1 { 2001:db8:1::2 timeout 5000ms }',
    '',
  ].join('\n'));
  assert.equal(nft.removeLimitBatch(prefix('198.51.100.2')), [
    'add element inet kapu_quarantine ratelimit4_0 { 198.51.100.2 timeout 1s }',
    'delete element inet kapu_quarantine ratelimit4_0 { 198.51.100.2 }',
    'add element inet kapu_quarantine ratelimit4_1 { 198.51.100.2 timeout 1s }',
    'delete element inet kapu_quarantine ratelimit4_1 { 198.51.100.2 }',
    '',
  ].join('\n'));
  assert.throws(() => nft.addLimitBatch(prefix('198.51.100.2'), { packetsPerS: 20, bytesPerS: 1 }, 5000), /rate 20\/s and 1 B\/s of 198\.51\.100\.2 is not the rate of any rate-limit response/);
  assert.throws(() => nft.addLimitBatch(prefix('198.51.100.0/30'), { packetsPerS: 20, bytesPerS: null }, 5000), /198\.51\.100\.0\/30 is a prefix; a rate limit takes one host address/);
});
