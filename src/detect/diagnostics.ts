/**
 * Renders rule diagnostics for people: the location, severity, message,
 * code and sid on one line, then the physical line and a caret line under
 * the offending text.
 *
 *   rules/local.rules:42:53: error: dsize: '>70000' is above the maximum 65535 [KAPU_ERR_RULE_BAD_VALUE] sid:1000007
 *     alert udp any any -> any 53 (msg:"big query"; dsize:>70000; sid:1000007;)
 *                                                         ^^^^^^
 */
import type { RuleDiagnostic } from './signature.js';

/** Renders the first line of a diagnostic. */
export function renderDiagnosticHeadline(d: RuleDiagnostic): string {
  const sid = d.sid === null ? '' : ` sid:${d.sid}`;
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message} [${d.code}]${sid}`;
}

/** Renders a diagnostic as three lines (headline, rule line, carets), without a final newline. */
export function renderDiagnostic(d: RuleDiagnostic): string {
  const headline = renderDiagnosticHeadline(d);
  if (d.text.length === 0) return headline;

  // Tabs keep their width in the caret line, so the carets stay under the text.
  const before = d.text.slice(0, d.column - 1).replace(/[^\t]/g, ' ');
  const carets = '^'.repeat(Math.max(1, d.length));
  return `${headline}\n  ${d.text}\n  ${before}${carets}`;
}
