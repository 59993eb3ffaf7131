/**
 * Transformed app-layer buffers for transaction detection: the buffer
 * instances that transforms or base64_decode derive from an app-layer
 * buffer (`file.data|strip_whitespace`, `http.request_body|url_decode`,
 * the output of base64_decode). Each instance reads its source buffer of
 * the transaction, which may itself be transformed, and applies the steps
 * with TransformedBufferProvider, the same code the packet engine runs.
 */
import type { Packet } from '../core/packet.js';
import type { Flow } from '../flow/flow.js';
import type { InspectContext } from './inspect-context.js';
import type { BufferView } from './keywords/header-buffers.js';
import type { BufferInspection, Signature } from './signature.js';
import { TransformedBufferProvider } from './transforms.js';

/** The source of every chain: the app-layer buffer bytes set before a chain runs. */
class CurrentBytes {
  bytes: Uint8Array = new Uint8Array(0);

  fill(_p: Packet, _flow: Flow | null, out: BufferView): boolean {
    out.bytes = this.bytes;
    out.start = 0;
    out.length = this.bytes.length;
    return true;
  }
}

/** The transformed app-layer buffer instances of a set of signatures. */
export class AppTransformedBuffers {
  private readonly current: CurrentBytes;
  private readonly providers: Map<string, TransformedBufferProvider>;
  /** The app-layer buffer each transformed instance derives from, by instance name. */
  private readonly roots: Map<string, string>;
  private readonly view: BufferView;

  /** `isAppBuffer` returns true for an untransformed app-layer buffer name. `ctx` runs base64_decode anchors. */
  constructor(signatures: readonly Signature[], isAppBuffer: (name: string) => boolean, ctx: InspectContext) {
    this.current = new CurrentBytes();
    this.providers = new Map();
    this.roots = new Map();
    this.view = { bytes: this.current.bytes, start: 0, length: 0 };
    for (const sig of signatures) {
      for (const inspection of sig.buffers) this.add(sig, inspection, isAppBuffer, ctx, 0);
    }
  }

  /** Returns the app-layer buffer that the transformed instance `name` derives from, or null. */
  rootOf(name: string): string | null {
    return this.roots.get(name) ?? null;
  }

  /**
   * Applies the transforms of instance `name` to `source`, the bytes of
   * its root buffer. Returns the view of the result (valid until the next
   * call), or null when a step or anchor yields no buffer.
   */
  apply(name: string, source: Uint8Array, p: Packet, flow: Flow): BufferView | null {
    const provider = this.providers.get(name);
    if (provider === undefined) return null;
    this.current.bytes = source;
    return provider.fill(p, flow, this.view) ? this.view : null;
  }

  /** Creates the provider of `inspection` and those of its transformed sources; returns its root, or null. */
  private add(sig: Signature, inspection: BufferInspection, isAppBuffer: (name: string) => boolean, ctx: InspectContext, depth: number): string | null {
    const transforms = inspection.transforms;
    if (transforms === undefined) return null;
    const known = this.roots.get(inspection.buffer);
    if (known !== undefined) return known;
    let root: string | null = null;
    let source: { fill(p: Packet, flow: Flow | null, out: BufferView): boolean } | undefined;
    if (isAppBuffer(transforms.source)) {
      root = transforms.source;
      source = this.current;
    } else if (depth < MAX_CHAIN_DEPTH) {
      // A transform of a transformed buffer (base64_decode after url_decode).
      const parent = sig.buffers.find((entry) => entry.buffer === transforms.source);
      if (parent !== undefined) root = this.add(sig, parent, isAppBuffer, ctx, depth + 1);
      source = this.providers.get(transforms.source);
    }
    if (root === null || source === undefined) return null;
    this.providers.set(inspection.buffer, new TransformedBufferProvider(inspection.buffer, source, transforms, ctx));
    this.roots.set(inspection.buffer, root);
    return root;
  }
}

/** Most buffer instances a transform chain passes through; a rule has at most a few. */
export const MAX_CHAIN_DEPTH = 8;
