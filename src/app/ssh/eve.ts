/**
 * The EVE `ssh` object, as Suricata 8 writes it:
 *
 *   {"client":{"proto_version":"2.0","software_version":"OpenSSH_7.4"},
 *    "server":{"proto_version":"2.0","software_version":"OpenSSH_7.5"}}
 *
 * A side whose banner is not seen yet is left out.
 */
import { jsonBytes } from '../dns/json-text.js';
import type { SshBanner } from './parser.js';
import type { SshTransaction } from './state.js';

function bannerJson(b: SshBanner): string {
  return `{"proto_version":${jsonBytes(b.protoVersion)},"software_version":${jsonBytes(b.softwareVersion)}}`;
}

/** Builds the `ssh` object of a transaction. */
export function buildSshEve(tx: SshTransaction): string {
  const parts: string[] = [];
  if (tx.client !== null) parts.push(`"client":${bannerJson(tx.client)}`);
  if (tx.server !== null) parts.push(`"server":${bannerJson(tx.server)}`);
  return `{${parts.join(',')}}`;
}
