/**
 * A rule source of `kapu rules update`, as written in the config's
 * `rules-update.sources` or given with `--source`: a URL (http or https),
 * or a local rule file, folder or .tar.gz archive. In the config an item
 * can also be a map with `url` (or `path`) and `checksum`.
 */

/** One rule source. */
export interface RuleSourceSpec {
  /** The URL or the local path, as written. */
  location: string;
  isUrl: boolean;
  /** URL of a checksum file (MD5 or SHA-256 in hex) that a download must match, or null. */
  checksumUrl: string | null;
}

/** Tells whether `location` is an http or https URL. */
export function isHttpUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** Builds a source from a URL or path; `checksum` is yes (`<url>.md5`), no, or a checksum file URL. */
export function sourceSpecOf(location: string, checksum: string | null = null): RuleSourceSpec | string {
  const isUrl = isHttpUrl(location);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location) && !isUrl) return `'${location}': only http:// and https:// URLs are supported (or a local path)`;
  let checksumUrl: string | null = null;
  if (checksum !== null && !/^(no|false|off)$/i.test(checksum)) {
    if (!isUrl) return `'${location}': checksum applies to URL sources only`;
    if (/^(yes|true|on)$/i.test(checksum)) checksumUrl = `${location}.md5`;
    else if (isHttpUrl(checksum)) checksumUrl = checksum;
    else return `checksum '${checksum}' is neither yes, no nor an http(s) URL`;
  }
  return { location, isUrl, checksumUrl };
}

/**
 * Reads one item of `rules-update.sources`: a URL or path, or a map with
 * `url` or `path` and an optional `checksum`.
 */
export function readSourceItem(value: unknown): { value: RuleSourceSpec } | { problem: string } {
  const expected = 'expected a URL or path, or a map with url (or path) and checksum';
  let spec: RuleSourceSpec | string;
  if (typeof value === 'string' && value.trim() !== '') {
    spec = sourceSpecOf(value.trim());
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const map = value as Record<string, unknown>;
    const unknown = Object.keys(map).filter((key) => key !== 'url' && key !== 'path' && key !== 'checksum');
    if (unknown.length > 0) return { problem: `unknown key '${unknown[0]}' (${expected})` };
    const location = typeof map['url'] === 'string' ? map['url'] : map['path'];
    if (typeof location !== 'string' || location.trim() === '') return { problem: `missing url or path (${expected})` };
    if (typeof map['url'] === 'string' && !isHttpUrl(map['url'])) return { problem: `url '${map['url']}' is not an http(s) URL (use path for a local file)` };
    const checksum = map['checksum'];
    spec = sourceSpecOf(location.trim(), typeof checksum === 'string' ? checksum : null);
  } else {
    return { problem: expected };
  }
  return typeof spec === 'string' ? { problem: spec } : { value: spec };
}
