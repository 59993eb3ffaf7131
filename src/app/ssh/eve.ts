/**
 * The EVE `ssh` object, as Suricata 8 writes it:
 *
 *   {"client":{"proto_version":"2.0","software_version":"OpenSSH_7.4"},
 *    "server":{"proto_version":"2.0","software_version":"OpenSSH_7.5"}}
 *
 * A side whose banner is not seen yet is left out. With HASSH enabled
 * (app-layer.protocols.ssh.hassh) each side adds
 * `"hassh":{"hash":"...","string":"..."}`.
 */
import { jsonBytes, jsonQuote } from '../dns/json-text.js';
import type { SshBanner } from './parser.js';
import type { SshTransaction } from './state.js';

function bannerJson(b: SshBanner, hassh: string | null, hasshString: string | null, hasHassh: boolean): string {
  let out = `{"proto_version":${jsonBytes(b.protoVersion)},"software_version":${jsonBytes(b.softwareVersion)}`;
  if (hasHassh && hassh !== null && hasshString !== null) out += `,"hassh":{"hash":${jsonQuote(hassh)},"string":${jsonQuote(hasshString)}}`;
  return out + '}';
}

/** Builds the `ssh` object of a transaction; `hasHassh` adds the HASSH of each side. */
export function buildSshEve(tx: SshTransaction, hasHassh = false): string {
  const parts: string[] = [];
  if (tx.client !== null) parts.push(`"client":${bannerJson(tx.client, tx.clientHassh, tx.clientHasshString, hasHassh)}`);
  if (tx.server !== null) parts.push(`"server":${bannerJson(tx.server, tx.serverHassh, tx.serverHasshString, hasHassh)}`);
  return `{${parts.join(',')}}`;
}
