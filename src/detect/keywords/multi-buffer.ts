/**
 * Sticky buffers with one instance per item of a transaction (one per
 * file for `file.data` and `file.name`). As Suricata's multi-buffer
 * matching defines it, each naming of such a buffer in a rule starts a
 * chain of its own, and each chain may match a different instance:
 * `file.data; content:"a"; file.data; content:"b";` matches two files
 * that contain "a" and "b" respectively.
 * Suricata: rules/multi-buffer-matching.html.
 */
import type { SignatureBuilder } from '../signature.js';

/**
 * Selects multi-instance buffer `name`. When the rule already has a chain
 * of that buffer with keywords in it, a new chain starts. The builder
 * appends later keywords to the last chain of a buffer.
 */
export function selectBufferInstance(b: SignatureBuilder, name: string): void {
  const buffers = b.sig.buffers;
  let hasChain = false;
  for (let i = 0; i < buffers.length; i++) {
    if (buffers[i].buffer === name && buffers[i].matches.length > 0) hasChain = true;
  }
  b.selectBuffer(name);
  if (hasChain) buffers.push({ buffer: name, matches: [] });
}
