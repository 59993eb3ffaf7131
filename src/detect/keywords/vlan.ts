/**
 * `vlan.id` and `vlan.layers`: the 802.1Q tags of the frame. Suricata:
 * rules/vlan-keywords.html.
 *
 *   vlan.id:[op]id[,layer]   layer: any (default), all, 0 to 2 counted from
 *                            the outermost tag, -3 to -1 from the innermost
 *   vlan.layers:[op]count
 *
 * A packet without tags never matches `vlan.id`, whatever the layer.
 */
import { MAX_VLAN_LAYERS, type Packet } from '../../core/packet.js';
import { ErrorCode } from '../../core/errors.js';
import type { PacketMatcher, SignatureBuilder } from '../signature.js';
import { registerKeyword } from './keyword-table.js';
import { parseUintValue, type UintValue } from './uint-value.js';

/** Largest VLAN id: the tag's VID field has 12 bits (IEEE 802.1Q). */
export const MAX_VLAN_ID = 4095;

/** Layer selectors besides an index. */
export const VlanLayer = {
  ANY: -128,
  ALL: 127,
} as const;

/** Compares the VLAN id of one layer, of any layer or of every layer. */
export class VlanIdMatch implements PacketMatcher {
  readonly keyword = 'vlan.id';

  constructor(
    readonly value: UintValue,
    /** VlanLayer.ANY, VlanLayer.ALL, or an index: 0 outermost, -1 innermost. */
    readonly layer: number,
  ) {}

  match(p: Packet): boolean {
    const count = p.vlanCount;
    if (count === 0) return false;
    if (this.layer === VlanLayer.ANY) {
      for (let i = 0; i < count; i++) if (this.value.matches(p.vlanIds[i])) return true;
      return false;
    }
    if (this.layer === VlanLayer.ALL) {
      for (let i = 0; i < count; i++) if (!this.value.matches(p.vlanIds[i])) return false;
      return true;
    }
    const index = this.layer >= 0 ? this.layer : count + this.layer;
    if (index < 0 || index >= count) return false;
    return this.value.matches(p.vlanIds[index]);
  }
}

/** Compares the number of VLAN tags; an untagged packet has 0. */
export class VlanLayersMatch implements PacketMatcher {
  readonly keyword = 'vlan.layers';

  constructor(readonly value: UintValue) {}

  match(p: Packet): boolean {
    return this.value.matches(p.vlanCount);
  }
}

/** Parses the layer part of `vlan.id`; returns the layer or an error message. */
export function parseVlanLayer(text: string): number | string {
  const t = text.trim().toLowerCase();
  if (t === 'any') return VlanLayer.ANY;
  if (t === 'all') return VlanLayer.ALL;
  const allowed = `expected any, all, 0 to ${MAX_VLAN_LAYERS - 1} or -${MAX_VLAN_LAYERS} to -1`;
  if (!/^-?\d+$/.test(t)) return `layer '${text.trim()}' is not valid (${allowed})`;
  const layer = Number(t);
  if (layer < -MAX_VLAN_LAYERS || layer >= MAX_VLAN_LAYERS) return `layer '${t}' is out of range (${allowed})`;
  return layer;
}

registerKeyword({
  name: 'vlan.id',
  description: 'compare the VLAN id of one 802.1Q layer, of any layer or of all layers',
  docsAnchor: 'vlan-keywords.html#vlan-id',
  value: 'required',
  setup(b: SignatureBuilder, value: string): void {
    const parts = value.split(',');
    if (parts.length > 2) {
      b.error(ErrorCode.RULE_BAD_VALUE, `'${value}' has too many parts (expected [op]id[,layer])`);
      return;
    }
    const id = parseUintValue(parts[0], MAX_VLAN_ID);
    if (typeof id === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, id);
      return;
    }
    const layer = parts.length === 2 ? parseVlanLayer(parts[1]) : VlanLayer.ANY;
    if (typeof layer === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, layer, parts[0].length + 1, parts[1].length);
      return;
    }
    b.addPacketMatch(new VlanIdMatch(id, layer));
  },
});

registerKeyword({
  name: 'vlan.layers',
  description: 'compare the number of 802.1Q layers of the frame',
  docsAnchor: 'vlan-keywords.html#vlan-layers',
  value: 'required',
  setup(b: SignatureBuilder, value: string): void {
    const count = parseUintValue(value, 255);
    if (typeof count === 'string') {
      b.error(ErrorCode.RULE_BAD_VALUE, count);
      return;
    }
    b.addPacketMatch(new VlanLayersMatch(count));
  },
});
