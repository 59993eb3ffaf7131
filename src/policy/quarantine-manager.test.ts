import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, KapuError, } from '../core/errors.js';
import { IpProto, TcpFlag } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';
import { defaultFlowConfig } from '../flow/flow-config.js';
import { FlowTable } from '../flow/flow-table.js';
import { makePacket, type PacketSpec } from '../flow/test-packet.js';
import { makeSig } from '../output/test-fixtures.js';
import { formatPrefix, parsePrefix, PrefixList, type AddressPrefix } from './quarantine-address.js';
import { hasCompletedHandshake, QuarantineManager, RequestOutcome, type QuarantineEvent, type QuarantineFirewall, type QuarantineResponse, type QuarantineSettings, type RateLimitSpec } from './quarantine-manager.js';
import { QuarantineStore } from './quarantine-store.js';

const scratch = mkdtempSync(join(tmpdir(), 'kapu-qmanager-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const CLIENT = '198.51.100.2';
const SERVER = '203.0.113.2';
const T0 = 1_700_000_000_000_000;
const { SYN, ACK, RST, PSH } = TcpFlag;

function prefix(text: string): AddressPrefix {
  const result = parsePrefix(text);
  assert.ok(result.ok);
  return result.prefix;
}

/** Records the firewall calls instead of running nft. */
class FakeFirewall implements QuarantineFirewall {
  readonly calls: string[] = [];
  failNext = false;
  async setup(): Promise<void> {
    this.calls.push('setup');
  }
  async add(p: AddressPrefix, timeoutMs: number): Promise<void> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('nft failed');
    }
    this.calls.push(`add ${formatPrefix(p)} ${timeoutMs}`);
  }
  async remove(p: AddressPrefix): Promise<void> {
    this.calls.push(`remove ${formatPrefix(p)}`);
  }
  async addLimit(p: AddressPrefix, rate: RateLimitSpec, timeoutMs: number): Promise<void> {
    this.calls.push(`limit ${formatPrefix(p)} ${rate.packetsPerS}/${rate.bytesPerS ?? '-'} ${timeoutMs}`);
  }
  async removeLimit(p: AddressPrefix): Promise<void> {
    this.calls.push(`unlimit ${formatPrefix(p)}`);
  }
}

/** Sends packets of one TCP connection from CLIENT to SERVER:8080 through a flow table. */
class Connection {
  readonly table: FlowTable;
  flow: Flow | null = null;
  private timeUs = T0;
  constructor(readonly client = CLIENT, readonly server = SERVER) {
    const config = defaultFlowConfig();
    config.prealloc = 4;
    this.table = new FlowTable(config, () => {});
  }
  send(spec: Partial<PacketSpec> & { fromClient: boolean }): Flow | null {
    this.timeUs += 1000;
    const { fromClient, ...rest } = spec;
    const ends = fromClient ? { src: this.client, dst: this.server, srcPort: 40000, dstPort: 8080 } : { src: this.server, dst: this.client, srcPort: 8080, dstPort: 40000 };
    this.flow = this.table.handlePacket(makePacket({ timestampUs: this.timeUs, ...ends, ...rest }));
    return this.flow;
  }
  handshake(): Flow | null {
    this.send({ fromClient: true, flags: SYN, seq: 1000 });
    this.send({ fromClient: false, flags: SYN | ACK, seq: 5000, ack: 1001 });
    return this.send({ fromClient: true, flags: ACK, seq: 1001, ack: 5001 });
  }
}

const RESPONSE: QuarantineResponse = { entry: 'policy.responses.0', gid: 1, sid: 1000010, action: 'quarantine', target: 'src', timeoutS: 600, rate: null };

function settings(extra: Partial<QuarantineSettings> = {}): QuarantineSettings {
  return {
    actionSid: 7,
    defaultTimeoutS: 3600,
    maxPerMinute: 10,
    rateLimit: { actionSid: 8, maxPerMinute: 10 },
    neverBlock: new PrefixList([prefix('198.51.100.1'), prefix('203.0.113.53')]),
    // HOME_NET is the server side, 203.0.113.0/24.
    isHomeAddress: (family, address) => family === 4 && address[0] === 203 && address[1] === 0 && address[2] === 113,
    responses: [RESPONSE],
    ...extra,
  };
}

let storeCount = 0;
function manager(extra: Partial<QuarantineSettings> = {}, clock: () => number = () => Date.UTC(2026, 11, 5)): { m: QuarantineManager; firewall: FakeFirewall; store: QuarantineStore; logs: string[]; events: QuarantineEvent[] } {
  const store = QuarantineStore.open(join(scratch, `m${storeCount++}.db`));
  const firewall = new FakeFirewall();
  const logs: string[] = [];
  const m = new QuarantineManager(settings(extra), store, firewall, (level, fields, message) => logs.push(`${level} ${message} ${JSON.stringify(fields)}`), clock);
  const events: QuarantineEvent[] = [];
  m.onEvent = (e) => events.push(e);
  return { m, firewall, store, logs, events };
}

const TRIGGER = makeSig({ gid: 1, sid: 1000010, rev: 2, msg: 'lab quarantine trigger' });

test('handshake complete after final ack', () => {
  const c = new Connection();
  assert.equal(hasCompletedHandshake(c.send({ fromClient: true, flags: SYN, seq: 1000 })), false);
  assert.equal(hasCompletedHandshake(c.send({ fromClient: false, flags: SYN | ACK, seq: 5000, ack: 1001 })), false);
  assert.equal(hasCompletedHandshake(c.send({ fromClient: true, flags: ACK, seq: 1001, ack: 5001 })), true);
  assert.equal(hasCompletedHandshake(null), false);
});

test('handshake missing for lone syn', () => {
  const c = new Connection('198.51.100.77');
  assert.equal(hasCompletedHandshake(c.send({ fromClient: true, flags: SYN, seq: 1000, payloadLength: 20 })), false);
  // The server's reset of an unseen peer ends the attempt without a handshake.
  assert.equal(hasCompletedHandshake(c.send({ fromClient: false, flags: RST | ACK, seq: 0, ack: 1021 })), false);
});

test('handshake missing for udp', () => {
  const c = new Connection();
  assert.equal(hasCompletedHandshake(c.send({ fromClient: true, proto: IpProto.UDP })), false);
});

test('alert after handshake quarantines source', async () => {
  const { m, firewall, store, events } = manager();
  const c = new Connection();
  c.handshake();
  const flow = c.send({ fromClient: true, flags: ACK | PSH, seq: 1001, ack: 5001, payloadLength: 13 });
  const p = makePacket({ src: CLIENT, dst: SERVER, srcPort: 40000, dstPort: 8080, flags: ACK | PSH, payloadLength: 13 });
  m.onAlert(p, flow, TRIGGER);
  await m.idle();
  assert.deepEqual(firewall.calls, ['add 198.51.100.2 600000']);
  const [record] = store.active(Date.UTC(2026, 11, 5));
  assert.equal(record?.address, CLIENT);
  assert.equal(record?.origin, 'automatic');
  assert.equal(record?.rule, '1:1000010:2');
  assert.equal(record?.policyEntry, 'policy.responses.0');
  assert.equal(record?.reason, 'lab quarantine trigger [1:1000010:2]');
  assert.equal(JSON.parse(record?.evidence ?? '{}').handshake, true);
  assert.equal(events.length, 1);
  assert.equal(events[0]?.actionSid, 7);
  assert.equal(events[0]?.error, null);
  assert.equal(m.counters.applied, 1);

  // Further alerts of the same host do not queue it again.
  m.onAlert(p, flow, TRIGGER);
  await m.idle();
  assert.equal(firewall.calls.length, 1);
  assert.equal(m.counters.alreadyQuarantined, 1);
});

test('forged source without handshake refused', async () => {
  const { m, firewall, logs, events } = manager();
  const c = new Connection('198.51.100.77');
  const flow = c.send({ fromClient: true, flags: SYN, seq: 1000, payloadLength: 20 });
  const p = makePacket({ src: '198.51.100.77', dst: SERVER, srcPort: 40000, dstPort: 8080, flags: SYN, payloadLength: 20 });
  for (let i = 0; i < 200; i++) m.onAlert(p, flow, TRIGGER);
  await m.idle();
  assert.deepEqual(firewall.calls, []);
  assert.deepEqual(events, []);
  assert.equal(m.counters.refusedNoHandshake, 200);
  // Logged once in the interval, not 200 times.
  assert.equal(logs.length, 1);
  assert.match(logs[0] ?? '', /^warn automatic quarantine refused: remote address without a completed TCP handshake/);
});

test('never-block address refused', async () => {
  const { m, firewall } = manager();
  const c = new Connection('198.51.100.1');
  const flow = c.handshake();
  const p = makePacket({ src: '198.51.100.1', dst: SERVER, srcPort: 40000, dstPort: 8080, flags: ACK });
  m.onAlert(p, flow, TRIGGER);
  assert.equal(m.request(prefix('198.51.100.1').bytes, { rule: { gid: 1, sid: 1, rev: 1, msg: 'x' }, response: RESPONSE, packet: { timestampUs: 0, flowId: null, pcapCount: 0, ipVersion: 4, ipProto: 6, srcAddr: prefix('198.51.100.1').bytes, dstAddr: prefix(SERVER).bytes, srcPort: 1, dstPort: 2, appProto: null, direction: null }, hasHandshake: true }, flow), RequestOutcome.NEVER_BLOCK);
  await m.idle();
  assert.deepEqual(firewall.calls, []);
  assert.equal(m.counters.refusedNeverBlock, 2);
});

test('home address needs no handshake', async () => {
  const { m, firewall } = manager({ responses: [{ ...RESPONSE, target: 'dest' }] });
  const c = new Connection();
  const flow = c.send({ fromClient: true, proto: IpProto.UDP });
  m.onAlert(makePacket({ src: CLIENT, dst: SERVER, proto: IpProto.UDP, srcPort: 5000, dstPort: 53 }), flow, TRIGGER);
  await m.idle();
  assert.deepEqual(firewall.calls, ['add 203.0.113.2 600000']);
});

test('rate limit refuses past budget', async () => {
  let now = Date.UTC(2026, 11, 5);
  const { m, firewall } = manager({ maxPerMinute: 2, isHomeAddress: () => true }, () => now);
  const p = (host: number) => makePacket({ src: `203.0.113.${host}`, dst: CLIENT, proto: IpProto.UDP, srcPort: 1, dstPort: 2 });
  m.onAlert(p(10), null, TRIGGER);
  m.onAlert(p(11), null, TRIGGER);
  m.onAlert(p(12), null, TRIGGER);
  assert.equal(m.counters.refusedRateLimited, 1);
  // The budget refills by one every 30 s at 2 a minute.
  now += 30_000;
  m.onAlert(p(12), null, TRIGGER);
  await m.idle();
  assert.deepEqual(firewall.calls, ['add 203.0.113.10 600000', 'add 203.0.113.11 600000', 'add 203.0.113.12 600000']);
});

test('failed nft reported in event', async () => {
  const { m, firewall, store, events } = manager({ isHomeAddress: () => true });
  firewall.failNext = true;
  m.onAlert(makePacket({ src: '203.0.113.10', dst: CLIENT, proto: IpProto.UDP }), null, TRIGGER);
  await m.idle();
  assert.equal(events[0]?.error, 'nft failed');
  assert.equal(m.counters.failed, 1);
  assert.deepEqual(store.active(Date.UTC(2026, 11, 5)), []);
});

test('manual never-block needs force', async () => {
  const { m, firewall } = manager();
  await assert.rejects(m.add('198.51.100.1', { timeoutS: 60, reason: 'test', force: false }), (err: unknown) => {
    assert.ok(err instanceof KapuError);
    assert.equal(err.code, ErrorCode.QUARANTINE_REFUSED);
    assert.equal(err.message, '198.51.100.1 is on the never-block list (198.51.100.1); add --force to quarantine it anyway');
    return true;
  });
  assert.deepEqual(firewall.calls, []);
  const record = await m.add('198.51.100.1', { timeoutS: 60, reason: 'test', force: true });
  assert.equal(record.address, '198.51.100.1');
  assert.deepEqual(firewall.calls, ['add 198.51.100.1 60000']);
});

test('manual add bad address', async () => {
  const { m } = manager();
  await assert.rejects(m.add('198.51.100.7/24', { timeoutS: 60, reason: 'x', force: false }), (err: unknown) => err instanceof KapuError && err.code === ErrorCode.QUARANTINE_BAD_ADDRESS && /give the network 198\.51\.100\.0\/24/.test(err.message));
});

test('manual overlapping prefix refused', async () => {
  const { m } = manager();
  await m.add('2001:db8:1::/64', { timeoutS: 60, reason: 'net', force: false });
  await assert.rejects(m.add('2001:db8:1::2', { timeoutS: 60, reason: 'host', force: false }), /2001:db8:1::2 overlaps the quarantined 2001:db8:1::\/64; release it first/);
  // The same prefix again restarts its timeout.
  await m.add('2001:db8:1::/64', { timeoutS: 120, reason: 'net again', force: false });
  assert.equal(m.list().length, 1);
});

test('release and restore', async () => {
  let now = Date.UTC(2026, 11, 5);
  const first = manager({}, () => now);
  await first.m.add('198.51.100.5', { timeoutS: 60, reason: 'a', force: false });
  await first.m.add('198.51.100.6', { timeoutS: 5, reason: 'b', force: false });
  await first.m.add('198.51.100.7', { timeoutS: 60, reason: 'c', force: false });
  assert.equal(await first.m.release('198.51.100.7'), true);
  assert.equal(await first.m.release('198.51.100.7'), false);
  const path = first.store.path;
  first.store.close();

  // A restart 10 s later: the 5 s quarantine expired, the released one stays released.
  now += 10_000;
  const store = QuarantineStore.open(path);
  const firewall = new FakeFirewall();
  const second = new QuarantineManager(settings(), store, firewall, () => {}, () => now);
  assert.equal(await second.restore(), 1);
  assert.deepEqual(firewall.calls, ['setup', 'add 198.51.100.5 50000']);
  store.close();
});

test('host inside stored prefix skipped', async () => {
  const { m, firewall, events } = manager({ isHomeAddress: () => true });
  // As `kapu quarantine add` from another process would leave it: stored and in nftables.
  await m.add('203.0.113.64/26', { timeoutS: 600, reason: 'net', force: false });
  const other = new QuarantineManager(m.settings, (m as unknown as { store: QuarantineStore }).store, firewall, () => {}, () => Date.UTC(2026, 11, 5));
  other.onEvent = (e) => events.push(e);
  other.onAlert(makePacket({ src: '203.0.113.70', dst: CLIENT, proto: IpProto.UDP }), null, TRIGGER);
  await other.idle();
  assert.deepEqual(firewall.calls, ['add 203.0.113.64/26 600000']);
  assert.equal(other.counters.alreadyQuarantined, 1);
  assert.deepEqual(events, []);
});

const LIMIT: QuarantineResponse = { entry: 'policy.responses.1', gid: 1, sid: 1000020, action: 'rate-limit', target: 'src', timeoutS: 30, rate: { packetsPerS: 20, bytesPerS: null } };
const LIMIT_TRIGGER = makeSig({ gid: 1, sid: 1000020, rev: 1, msg: 'lab rate-limit trigger' });

test('alert after handshake limits source', async () => {
  const { m, firewall, store, events, logs } = manager({ responses: [RESPONSE, LIMIT] });
  const c = new Connection();
  const flow = c.handshake();
  const p = makePacket({ src: CLIENT, dst: SERVER, srcPort: 40000, dstPort: 8080, flags: ACK | PSH, payloadLength: 13 });
  m.onAlert(p, flow, LIMIT_TRIGGER);
  m.onAlert(p, flow, LIMIT_TRIGGER);
  await m.idle();
  // The timeout of the response, 30 s, in milliseconds.
  assert.deepEqual(firewall.calls, ['limit 198.51.100.2 20/- 30000']);
  const [record] = store.active(Date.UTC(2026, 11, 5));
  assert.equal(record?.action, 'rate-limit');
  assert.deepEqual(record?.rate, { packetsPerS: 20, bytesPerS: null });
  assert.equal(record?.expiresMs, Date.UTC(2026, 11, 5) + 30_000);
  assert.equal(JSON.parse(record?.evidence ?? '{}').action, 'rate-limit');
  assert.equal(events.length, 1);
  assert.equal(events[0]?.action, 'rate-limit');
  assert.equal(events[0]?.actionSid, 8);
  assert.equal(m.rateLimitCounters.applied, 1);
  assert.equal(m.rateLimitCounters.alreadyQuarantined, 1);
  assert.equal(m.counters.requests, 0);
  assert.match(logs[0] ?? '', /^info host rate-limited /);
  const counters = new Map<string, number>();
  m.collectCounters(counters);
  assert.equal(counters.get('rate_limit.applied'), 1);
  assert.equal(counters.get('rate_limit.already_limited'), 1);
});

test('rate limit needs handshake', async () => {
  const { m, firewall, logs } = manager({ responses: [LIMIT] });
  const c = new Connection('198.51.100.77');
  const flow = c.send({ fromClient: true, flags: SYN, seq: 1000, payloadLength: 20 });
  m.onAlert(makePacket({ src: '198.51.100.77', dst: SERVER, flags: SYN, payloadLength: 20 }), flow, LIMIT_TRIGGER);
  await m.idle();
  assert.deepEqual(firewall.calls, []);
  assert.equal(m.rateLimitCounters.refusedNoHandshake, 1);
  assert.match(logs[0] ?? '', /^warn automatic rate limit refused: remote address without a completed TCP handshake/);
});

test('rate limit never-block refused', async () => {
  const { m, firewall } = manager({ responses: [LIMIT] });
  const flow = new Connection('198.51.100.1').handshake();
  m.onAlert(makePacket({ src: '198.51.100.1', dst: SERVER, flags: ACK }), flow, LIMIT_TRIGGER);
  await m.idle();
  assert.deepEqual(firewall.calls, []);
  assert.equal(m.rateLimitCounters.refusedNeverBlock, 1);
});

test('rate limit budget apart', async () => {
  const { m, firewall } = manager({ responses: [RESPONSE, LIMIT], maxPerMinute: 1, rateLimit: { actionSid: 8, maxPerMinute: 1 }, isHomeAddress: () => true });
  const p = (host: number) => makePacket({ src: `203.0.113.${host}`, dst: CLIENT, proto: IpProto.UDP, srcPort: 1, dstPort: 2 });
  m.onAlert(p(10), null, LIMIT_TRIGGER);
  m.onAlert(p(11), null, LIMIT_TRIGGER);
  // The quarantine budget is its own, so this one passes.
  m.onAlert(p(12), null, TRIGGER);
  await m.idle();
  assert.deepEqual(firewall.calls, ['limit 203.0.113.10 20/- 30000', 'add 203.0.113.12 600000']);
  assert.equal(m.rateLimitCounters.refusedRateLimited, 1);
});

test('quarantined host not limited', async () => {
  const { m, firewall } = manager({ responses: [RESPONSE, LIMIT], isHomeAddress: () => true });
  const p = makePacket({ src: '203.0.113.10', dst: CLIENT, proto: IpProto.UDP });
  m.onAlert(p, null, TRIGGER);
  m.onAlert(p, null, LIMIT_TRIGGER);
  await m.idle();
  assert.deepEqual(firewall.calls, ['add 203.0.113.10 600000']);
  assert.equal(m.rateLimitCounters.alreadyQuarantined, 1);
});

test('limited host still quarantined', async () => {
  const { m, firewall } = manager({ responses: [RESPONSE, LIMIT], isHomeAddress: () => true });
  const p = makePacket({ src: '203.0.113.10', dst: CLIENT, proto: IpProto.UDP });
  m.onAlert(p, null, LIMIT_TRIGGER);
  m.onAlert(p, null, TRIGGER);
  await m.idle();
  assert.deepEqual(firewall.calls, ['limit 203.0.113.10 20/- 30000', 'add 203.0.113.10 600000']);
});

test('rate limit expires and restarts', async () => {
  let now = Date.UTC(2026, 11, 5);
  const { m, firewall } = manager({ responses: [LIMIT], isHomeAddress: () => true }, () => now);
  const p = makePacket({ src: '203.0.113.10', dst: CLIENT, proto: IpProto.UDP });
  m.onAlert(p, null, LIMIT_TRIGGER);
  await m.idle();
  now += 29_999;
  m.onAlert(p, null, LIMIT_TRIGGER);
  assert.equal(m.list().length, 1);
  // At 30 s the limit has expired, so the next alert limits the host again.
  now += 1;
  assert.equal(m.list().length, 0);
  m.onAlert(p, null, LIMIT_TRIGGER);
  await m.idle();
  assert.deepEqual(firewall.calls, ['limit 203.0.113.10 20/- 30000', 'limit 203.0.113.10 20/- 30000']);
});

test('rate limit restored and released', async () => {
  let now = Date.UTC(2026, 11, 5);
  const first = manager({ responses: [LIMIT], isHomeAddress: () => true }, () => now);
  first.m.onAlert(makePacket({ src: '203.0.113.10', dst: CLIENT, proto: IpProto.UDP }), null, LIMIT_TRIGGER);
  await first.m.idle();
  const path = first.store.path;
  first.store.close();

  now += 10_000;
  const store = QuarantineStore.open(path);
  const firewall = new FakeFirewall();
  const second = new QuarantineManager(settings({ responses: [LIMIT] }), store, firewall, () => {}, () => now);
  assert.equal(await second.restore(), 1);
  assert.deepEqual(firewall.calls, ['setup', 'limit 203.0.113.10 20/- 20000']);
  assert.equal(await second.release('203.0.113.10'), true);
  assert.deepEqual(firewall.calls.slice(2), ['remove 203.0.113.10', 'unlimit 203.0.113.10']);
  assert.deepEqual(second.list(), []);
  store.close();
});
