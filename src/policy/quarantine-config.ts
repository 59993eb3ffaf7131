/**
 * Builds the quarantine's settings from a loaded configuration: the
 * never-block list (never-block, gateways, dns-servers and management
 * together), $HOME_NET for the handshake rule, and the responses with
 * the rates of the rate-limit ones.
 */
import { isAbsolute, join } from 'node:path';
import type { KapuConfig } from '../config/types.js';
import { AddressCompiler, isCompiledAddress } from '../detect/address.js';
import { RuleVariables } from '../detect/variables.js';
import { parsePrefix, PrefixList, type AddressPrefix } from './quarantine-address.js';
import type { QuarantineResponse, QuarantineSettings, RateLimitSpec } from './quarantine-manager.js';

/** Parses a list of addresses the config loader already checked; invalid entries are left out. */
export function prefixesOf(texts: readonly string[]): AddressPrefix[] {
  const out: AddressPrefix[] = [];
  for (const text of texts) {
    const parsed = parsePrefix(text);
    if (parsed.ok) out.push(parsed.prefix);
  }
  return out;
}

/** Returns the management prefixes of `policy.management`. */
export function managementPrefixesOf(config: KapuConfig): AddressPrefix[] {
  return prefixesOf(config.policy.management);
}

/** Returns the never-block list: policy.never-block, gateways, dns-servers and management. */
export function neverBlockListOf(config: KapuConfig): PrefixList {
  const p = config.policy;
  return new PrefixList(prefixesOf([...p.neverBlock, ...p.gateways, ...p.dnsServers, ...p.management]));
}

/**
 * Returns a test of whether an address is in $HOME_NET. When HOME_NET
 * does not compile (the rules report that), every address counts as
 * remote, which is the stricter side.
 */
export function homeNetTestOf(config: KapuConfig): (family: number, address: Uint8Array) => boolean {
  const compiled = new AddressCompiler(new RuleVariables({ 'address-groups': config.vars.addressGroups })).compile('$HOME_NET');
  if (!isCompiledAddress(compiled)) return () => false;
  return (family, address) => {
    if (family === 4) return compiled.matchV4((((address[0] as number) << 24) >>> 0) + ((address[1] as number) << 16) + ((address[2] as number) << 8) + (address[3] as number));
    return compiled.matchV6(address);
  };
}

/** Returns the responses of `config`, each with its key path. */
export function responsesOf(config: KapuConfig): QuarantineResponse[] {
  return config.policy.responses.map((r, i) => ({
    entry: `policy.responses.${i}`,
    gid: r.gid,
    sid: r.sid,
    action: r.action,
    target: r.target,
    timeoutS: r.timeout,
    rate: r.action === 'rate-limit' && r.rate !== null ? { packetsPerS: r.rate, bytesPerS: r.rateBytes } : null,
  }));
}

/** Returns the distinct rates of the rate-limit responses, in the order they first appear. */
export function rateLimitRatesOf(responses: readonly QuarantineResponse[]): RateLimitSpec[] {
  const rates: RateLimitSpec[] = [];
  for (const response of responses) {
    const rate = response.rate;
    if (rate === null) continue;
    if (!rates.some((r) => r.packetsPerS === rate.packetsPerS && r.bytesPerS === rate.bytesPerS)) rates.push(rate);
  }
  return rates;
}

/** Builds the manager's settings from `config`. */
export function quarantineSettingsOf(config: KapuConfig): QuarantineSettings {
  const q = config.policy.quarantine;
  return {
    actionSid: q.sid,
    defaultTimeoutS: q.timeout,
    maxPerMinute: q.maxPerMinute,
    rateLimit: { actionSid: config.policy.rateLimit.sid, maxPerMinute: config.policy.rateLimit.maxPerMinute },
    neverBlock: neverBlockListOf(config),
    isHomeAddress: homeNetTestOf(config),
    responses: responsesOf(config),
  };
}

/** Returns the path of the quarantine database: policy.quarantine.database, relative to `logDir`. */
export function quarantineDatabasePath(config: KapuConfig, logDir: string): string {
  const file = config.policy.quarantine.database;
  return isAbsolute(file) ? file : join(logDir, file);
}
