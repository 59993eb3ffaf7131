/** Content-based detection of SSH: the stream starts with `SSH-`. */
const SSH_PREFIX = [0x53, 0x53, 0x48, 0x2d];

/** Tells whether `bytes` start an SSH identification line. */
export function probeSsh(bytes: Uint8Array, start: number, length: number, _direction: number): 'yes' | 'no' | 'need_more' {
  const n = Math.min(length, SSH_PREFIX.length);
  for (let i = 0; i < n; i++) if (bytes[start + i] !== SSH_PREFIX[i]) return 'no';
  return n < SSH_PREFIX.length ? 'need_more' : 'yes';
}
