/**
 * Judging the `requires:` block of a suricata-verify test or check against
 * the Suricata version whose behaviour kapu follows.
 */

/**
 * The Suricata release whose EVE output and detection behaviour kapu
 * reproduces. `requires:` version bounds are judged against it.
 */
export const FOLLOWED_SURICATA_VERSION = '8.0.0';

/**
 * Build features (as `suricata --build-info` lists them) that kapu claims
 * for `requires: features:`. The list is empty, so a test or check that
 * requires any feature is not applied.
 */
export const KAPU_FEATURES: readonly string[] = [];

/** Version, features and environment that requirements are judged against. */
export interface RequireContext {
  /** Dotted version, e.g. '8.0.0'. */
  version: string;
  features: readonly string[];
  /** Environment consulted by `requires: env:`. */
  env: Readonly<Record<string, string | undefined>>;
}

/** Builds the default context: Suricata 8.0.0, no features, this process's environment. */
export function defaultRequireContext(): RequireContext {
  return { version: FOLLOWED_SURICATA_VERSION, features: KAPU_FEATURES, env: process.env };
}

/** Result of judging a `requires:` block: met, or the first unmet requirement. */
export type RequireVerdict = { met: true } | { met: false; reason: string };

/**
 * Parses '7', '7.0' or '7.0.14' (also '8.0.0-dev') into numeric parts.
 * Returns null for text that is not a version.
 */
export function parseVersion(text: string): number[] | null {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-~+].*)?$/.exec(text.trim());
  if (m === null) return null;
  const parts = [Number(m[1])];
  if (m[2] !== undefined) parts.push(Number(m[2]));
  if (m[3] !== undefined) parts.push(Number(m[3]));
  return parts;
}

/**
 * Compares the running version with a requirement on the parts the
 * requirement names: against 'lt-version: 8', 8.0.3 counts as 8, so it is
 * not lower. Returns -1, 0 or 1 for running below, equal to or above.
 */
export function compareVersions(running: number[], required: number[]): number {
  for (let i = 0; i < required.length; i++) {
    const have = running[i] ?? 0;
    if (have !== required[i]) return have < required[i] ? -1 : 1;
  }
  return 0;
}

function judgeVersion(key: string, value: unknown, context: RequireContext): RequireVerdict {
  const required = parseVersion(String(value));
  const running = parseVersion(context.version);
  if (required === null || running === null) {
    return { met: false, reason: `requires ${key}: '${String(value)}' is not a version` };
  }

  const order = compareVersions(running, required);
  let met: boolean;
  if (key === 'min-version') met = order >= 0;
  else if (key === 'lt-version') met = order < 0;
  else if (key === 'gt-version') met = order > 0;
  else met = order === 0;

  if (met) return { met: true };
  return { met: false, reason: `requires ${key} ${String(value)} (kapu follows Suricata ${context.version})` };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (value === null || value === undefined) return [];
  return [String(value)];
}

/**
 * Judges one `requires:` mapping. Version bounds are checked against
 * context.version, `features` and `not-features` against context.features,
 * `env` against the environment, and `pcap` is always met. Any other key
 * (files, script, lambda, os, ...) cannot be met by kapu and is reported as
 * unmet.
 */
export function judgeRequires(requires: unknown, context: RequireContext): RequireVerdict {
  if (requires === null || requires === undefined) return { met: true };
  if (!isMapping(requires)) return { met: false, reason: 'requires: expected a mapping' };

  for (const [key, value] of Object.entries(requires)) {
    let verdict: RequireVerdict;
    switch (key) {
      case 'min-version':
      case 'lt-version':
      case 'gt-version':
      case 'version':
        verdict = judgeVersion(key, value, context);
        break;
      case 'features': {
        const missing = asList(value).filter((f) => !context.features.includes(f));
        verdict =
          missing.length === 0
            ? { met: true }
            : { met: false, reason: `requires feature ${missing.join(', ')} (not built into kapu)` };
        break;
      }
      case 'not-features': {
        const present = asList(isMapping(value) ? Object.keys(value) : value).filter((f) =>
          context.features.includes(f),
        );
        verdict =
          present.length === 0
            ? { met: true }
            : { met: false, reason: `requires kapu without feature ${present.join(', ')}` };
        break;
      }
      case 'pcap':
        // `pcap: false` only allows a test without a capture. The capture
        // itself is looked up when the case is resolved.
        verdict = { met: true };
        break;
      case 'env': {
        const missing = asList(value).filter((name) => context.env[name] === undefined);
        verdict =
          missing.length === 0 ? { met: true } : { met: false, reason: `requires env ${missing.join(', ')}` };
        break;
      }
      default:
        verdict = { met: false, reason: `requires ${key}: not supported by kapu verify` };
    }
    if (!verdict.met) return verdict;
  }
  return { met: true };
}
