/**
 * The file buffers of HTTP transactions: `file.name` and `file.data` hold
 * one instance per file of the message, as Suricata's multi-buffer
 * matching has it, so each content chain must match within one file.
 * Files are the bodies of responses and of POST or PUT requests, and each
 * file part of a multipart/form-data request (state.ts).
 * Suricata: rules/file-keywords.html.
 */
import type { HttpTransaction } from './state.js';

/** Names of the per-file buffers. */
export const FileBuffer = {
  NAME: 'file.name',
  DATA: 'file.data',
} as const;

/** Tells whether `name` is a per-file buffer. */
export function isFileBuffer(name: string): boolean {
  return name === FileBuffer.NAME || name === FileBuffer.DATA;
}

/**
 * Writes the instances of file buffer `name` for the files of `tx` that
 * travel in `direction` (0 request, 1 response) to `out`, from index 0,
 * and returns their count. A file without kept bytes gives no `file.data`
 * instance. `out` grows when it is too short, and is reused between calls.
 */
export function collectFileBuffers(tx: HttpTransaction, name: string, direction: number, out: Uint8Array[]): number {
  const files = tx.files;
  const isName = name === FileBuffer.NAME;
  let count = 0;
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    if (file.direction !== direction) continue;
    if (isName) {
      out[count++] = file.name;
    } else if (file.data.length > 0) {
      out[count++] = file.data.view();
    }
  }
  return count;
}
