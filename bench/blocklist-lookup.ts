/**
 * What do the blocklists cost? Builds a domain list of 1M names
 * (`hostN.zoneM.example`, subdomains on) and an ip list of 100k IPv4
 * addresses plus 1k /24 prefixes, and prints:
 * - the build time and the memory they take (heapUsed plus arrayBuffers
 *   after a GC, so run node with --expose-gc);
 * - ns per lookup of a name that is not listed (`www.siteN.example`, the
 *   common case), of a listed name's subdomain, and of an address that is
 *   not listed;
 * - heap bytes allocated over 1M missed lookups.
 * Times are process CPU time for the best of five passes after a warm-up.
 *
 * Run: npx tsc -p tsconfig.json && node --expose-gc dist/bench/blocklist-lookup.js
 */
import { CompiledList, MatchedIn, SiteBlocker } from '../src/policy/site-blocker.js';
import type { DomainEntry, IpEntry } from '../src/policy/blocklist-parse.js';

const NAMES = 1_000_000;
const ADDRESSES = 100_000;
const PREFIXES = 1_000;
const LOOKUPS = 1_000_000;
const PASSES = 5;
const QUERY_POOL = 4096;

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect !== undefined) collect();
}

/** Returns the JS heap plus the typed arrays' buffers, in MiB. */
function heapMiB(): number {
  gc();
  const usage = process.memoryUsage();
  return (usage.heapUsed + usage.arrayBuffers) / (1024 * 1024);
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function domainList(): CompiledList {
  const entries: DomainEntry[] = [];
  for (let i = 0; i < NAMES; i++) {
    const name = `host${i}.zone${i % 97}.example`;
    entries.push({ text: name, name, wildcard: false });
  }
  return new CompiledList({ id: 1, name: 'bench-domains', kind: 'domain', action: 'drop', subdomains: true, sinkholeV4: null, sinkholeV6: null }, entries);
}

function ipList(): CompiledList {
  const entries: IpEntry[] = [];
  for (let i = 0; i < ADDRESSES; i++) {
    entries.push({ text: '', prefix: { family: 4, bytes: new Uint8Array([10, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff]), prefixLength: 32 } });
  }
  for (let i = 0; i < PREFIXES; i++) {
    entries.push({ text: '', prefix: { family: 4, bytes: new Uint8Array([172, 16 + (i >>> 8), i & 0xff, 0]), prefixLength: 24 } });
  }
  return new CompiledList({ id: 2, name: 'bench-ips', kind: 'ip', action: 'drop', subdomains: false, sinkholeV4: null, sinkholeV6: null }, entries);
}

/** Returns the best ns per lookup over PASSES passes of `run`, which makes LOOKUPS lookups. */
function timePerLookup(run: () => number): number {
  run();
  let best = Infinity;
  for (let pass = 0; pass < PASSES; pass++) {
    const start = cpuMs();
    run();
    best = Math.min(best, cpuMs() - start);
  }
  return (best * 1e6) / LOOKUPS;
}

const before = heapMiB();
let start = cpuMs();
const domains = domainList();
const domainBuildMs = cpuMs() - start;
const afterDomains = heapMiB();
start = cpuMs();
const ips = ipList();
const ipBuildMs = cpuMs() - start;
const afterIps = heapMiB();
const blocker = new SiteBlocker([domains, ips]);

const missNames = Array.from({ length: QUERY_POOL }, (_, i) => Buffer.from(`www.site${i}.example`));
const hitNames = Array.from({ length: QUERY_POOL }, (_, i) => Buffer.from(`cdn.host${i * 200}.zone${(i * 200) % 97}.example`));
const missAddresses = Array.from({ length: QUERY_POOL }, (_, i) => new Uint8Array([203, 0, 113, i & 0xff]));

const lookupNames = (names: Buffer[]) => (): number => {
  let hits = 0;
  for (let i = 0; i < LOOKUPS; i++) {
    const name = names[i & (QUERY_POOL - 1)] as Buffer;
    blocker.loadName(name, 0, name.length);
    if (blocker.matchName(MatchedIn.DNS) !== null) hits++;
  }
  return hits;
};
const lookupAddresses = (): number => {
  let hits = 0;
  for (let i = 0; i < LOOKUPS; i++) if (blocker.matchAddress(4, missAddresses[i & (QUERY_POOL - 1)] as Uint8Array, 0) !== null) hits++;
  return hits;
};

if (lookupNames(hitNames)() !== LOOKUPS) throw new Error('a listed subdomain was not found');
if (lookupNames(missNames)() !== 0) throw new Error('an unlisted name was found');
if (lookupAddresses() !== 0) throw new Error('an unlisted address was found');

console.log(`domain list: ${NAMES} names built in ${domainBuildMs.toFixed(0)} ms, ${(afterDomains - before).toFixed(1)} MiB`);
console.log(`ip list: ${ADDRESSES} addresses + ${PREFIXES} /24 built in ${ipBuildMs.toFixed(0)} ms, ${(afterIps - afterDomains).toFixed(1)} MiB`);
console.log(`name miss: ${timePerLookup(lookupNames(missNames)).toFixed(0)} ns/lookup`);
console.log(`name hit (subdomain): ${timePerLookup(lookupNames(hitNames)).toFixed(0)} ns/lookup`);
console.log(`address miss: ${timePerLookup(lookupAddresses).toFixed(0)} ns/lookup`);

// Young-generation GCs over the missed lookups tell whether they allocate; heapUsed alone also moves with compiled code.
const { PerformanceObserver } = await import('node:perf_hooks');
let scavenges = 0;
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if ((entry as unknown as { detail?: { kind?: number } }).detail?.kind === 1) scavenges++;
});
observer.observe({ entryTypes: ['gc'] });
const missNameRun = lookupNames(missNames);
for (let round = 0; round < 10; round++) {
  missNameRun();
  lookupAddresses();
}
await new Promise((resolve) => setTimeout(resolve, 100));
observer.disconnect();
console.log(`young-generation GCs over ${20 * LOOKUPS} missed lookups: ${scavenges}`);
