/**
 * SSH rule keywords: the sticky buffers `ssh.proto` and `ssh.software`
 * (the banner of the packet's direction) and the older value keywords
 * `ssh.protoversion` and `ssh.softwareversion`. Suricata:
 * rules/ssh-keywords.html.
 */
import { Direction } from '../../core/packet.js';
import { ErrorCode } from '../../core/errors.js';
import type { DetectThreadContext, KeywordDef, PacketMatcher, SignatureBuilder } from '../../detect/signature.js';
import { registerKeyword } from '../../detect/keywords/keyword-table.js';
import { asciiBytes } from '../dns/json-text.js';
import type { SshTransaction } from './state.js';

/** Canonical SSH buffer names. */
export const SshBuffer = {
  PROTO: 'ssh.proto',
  SOFTWARE: 'ssh.software',
  HASSH: 'ssh.hassh',
  HASSH_STRING: 'ssh.hassh.string',
  HASSH_SERVER: 'ssh.hassh.server',
  HASSH_SERVER_STRING: 'ssh.hassh.server.string',
} as const;

/**
 * Returns the buffer of `bufferName` for `direction`, or null. The banner
 * buffers come from the side that sent in `direction`; `ssh.hassh*` apply
 * to the client's direction and `ssh.hassh.server*` to the server's.
 */
export function getSshBuffer(tx: SshTransaction, bufferName: string, direction: number): Uint8Array | null {
  const isToServer = direction === Direction.TO_SERVER;
  switch (bufferName) {
    case SshBuffer.PROTO:
      return tx.banner(direction)?.protoVersion ?? null;
    case SshBuffer.SOFTWARE:
      return tx.banner(direction)?.softwareVersion ?? null;
    case SshBuffer.HASSH:
      return isToServer ? cachedAscii(tx, 0, tx.clientHassh) : null;
    case SshBuffer.HASSH_STRING:
      return isToServer ? cachedAscii(tx, 1, tx.clientHasshString) : null;
    case SshBuffer.HASSH_SERVER:
      return isToServer ? null : cachedAscii(tx, 2, tx.serverHassh);
    case SshBuffer.HASSH_SERVER_STRING:
      return isToServer ? null : cachedAscii(tx, 3, tx.serverHasshString);
    default:
      return null;
  }
}

/** Returns the bytes of a HASSH text, encoded once per transaction. */
function cachedAscii(tx: SshTransaction, slot: number, text: string | null): Uint8Array | null {
  if (text === null) return null;
  let bytes = tx.hasshBuffers[slot];
  if (bytes === null) {
    bytes = asciiBytes(text);
    tx.hasshBuffers[slot] = bytes;
  }
  return bytes;
}

function sameBytes(a: Uint8Array, b: Uint8Array, length: number): boolean {
  if (a.length < length || b.length < length) return false;
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const VERSION_2_0 = asciiBytes('2.0');
const VERSION_1_99 = asciiBytes('1.99');

/**
 * `ssh.protoversion:<version>`: the banner's protocol version equals the
 * value; `2_compat` matches both 2.0 and 1.99 (RFC 4253 section 5.1).
 * The engine calls `matchTx`; `match`, the packet form, never matches.
 */
export class SshProtoVersionMatch implements PacketMatcher {
  readonly keyword = 'ssh.protoversion';
  readonly isTxMatcher = true;
  constructor(
    readonly version: Uint8Array,
    readonly isCompat: boolean,
  ) {}

  match(_p: unknown, _flow: unknown, _ctx: DetectThreadContext): boolean {
    return false;
  }

  /** Tells whether the banner sent in `direction` has the rule's version. */
  matchTx(tx: SshTransaction, direction: number): boolean {
    const banner = tx.banner(direction);
    if (banner === null) return false;
    const v = banner.protoVersion;
    if (this.isCompat) return (v.length === 3 && sameBytes(v, VERSION_2_0, 3)) || (v.length === 4 && sameBytes(v, VERSION_1_99, 4));
    return v.length === this.version.length && sameBytes(v, this.version, v.length);
  }
}

/**
 * `ssh.softwareversion:<text>`: the banner's software version starts with
 * the value. The engine calls `matchTx`; `match` never matches.
 */
export class SshSoftwareVersionMatch implements PacketMatcher {
  readonly keyword = 'ssh.softwareversion';
  readonly isTxMatcher = true;
  constructor(readonly prefix: Uint8Array) {}

  match(_p: unknown, _flow: unknown, _ctx: DetectThreadContext): boolean {
    return false;
  }

  /** Tells whether the software version sent in `direction` starts with the value. */
  matchTx(tx: SshTransaction, direction: number): boolean {
    const banner = tx.banner(direction);
    return banner !== null && sameBytes(banner.softwareVersion, this.prefix, this.prefix.length);
  }
}

function stickyKeyword(name: string, alias: string | null, description: string, anchor: string): KeywordDef {
  return {
    name,
    ...(alias === null ? {} : { aliases: [alias] }),
    description,
    docsAnchor: `ssh-keywords.html#${anchor}`,
    value: 'none',
    setup(b: SignatureBuilder): void {
      b.selectBuffer(name);
    },
  };
}

function unquote(value: string): string {
  const t = value.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

const protoVersionKeyword: KeywordDef = {
  name: 'ssh.protoversion',
  description: 'match the protocol version of the SSH banner',
  docsAnchor: 'ssh-keywords.html#ssh-protoversion',
  value: 'required',
  setup(b: SignatureBuilder, value: string): void {
    const v = unquote(value);
    if (!/^[0-9A-Za-z._]+$/.test(v)) {
      b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' is not an SSH protocol version (expected a version such as 2.0, 1.99 or 2_compat)`);
      return;
    }
    b.addPacketMatch(new SshProtoVersionMatch(asciiBytes(v), v === '2_compat'));
  },
};

const softwareVersionKeyword: KeywordDef = {
  name: 'ssh.softwareversion',
  description: 'match the start of the software version of the SSH banner',
  docsAnchor: 'ssh-keywords.html#ssh-softwareversion',
  value: 'required',
  setup(b: SignatureBuilder, value: string): void {
    const v = unquote(value);
    if (v.length === 0) {
      b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' is empty (expected the start of a software version such as OpenSSH)`);
      return;
    }
    b.addPacketMatch(new SshSoftwareVersionMatch(asciiBytes(v)));
  },
};

/** The SSH keywords, registered by registerSshKeywords. */
export const SSH_KEYWORDS: readonly KeywordDef[] = [
  stickyKeyword(SshBuffer.PROTO, 'ssh_proto', 'inspect the protocol version of the SSH banner', 'ssh-proto'),
  stickyKeyword(SshBuffer.SOFTWARE, 'ssh_software', 'inspect the software version of the SSH banner', 'ssh-software'),
  stickyKeyword(SshBuffer.HASSH, null, 'inspect the HASSH MD5 of the client key exchange', 'ssh-hassh'),
  stickyKeyword(SshBuffer.HASSH_STRING, null, 'inspect the HASSH string of the client key exchange', 'ssh-hassh-string'),
  stickyKeyword(SshBuffer.HASSH_SERVER, null, 'inspect the HASSHServer MD5 of the server key exchange', 'ssh-hassh-server'),
  stickyKeyword(SshBuffer.HASSH_SERVER_STRING, null, 'inspect the HASSHServer string of the server key exchange', 'ssh-hassh-server-string'),
  protoVersionKeyword,
  softwareVersionKeyword,
];

/** Registers the SSH keywords in the keyword table. */
export function registerSshKeywords(): void {
  for (const def of SSH_KEYWORDS) registerKeyword(def);
}
