/**
 * Building blocks of the kapu.yaml schema. A descriptor gives the type of
 * a key, its default and one line of documentation, and the reader
 * (read-config.ts) walks the configuration tree against the descriptors,
 * types every value and reports unknown keys and invalid values.
 */
import type { z } from 'zod';
import {
  autoOrBooleanSchema,
  booleanSchema,
  byteSizeSchema,
  decimalSchema,
  durationSchema,
  enumSchema,
  integerSchema,
  stringSchema,
} from './values.js';

/** A string-to-value zod schema of one scalar type. */
export type ScalarSchema = z.ZodType<unknown, string>;

export interface ScalarDesc {
  t: 'scalar';
  schema: ScalarSchema;
  /** Typed default; null where the key has no value unless set. */
  def: unknown;
  /** The default as written in docs/config.md. */
  defText: string;
  doc: string;
  /**
   * When set, an invalid value is a warning and the default is used, as
   * Suricata does for this key; otherwise it is an error.
   */
  fallback?: boolean;
  /** When set, an item of a map list without this key is an error (see mapList). */
  required?: boolean;
}

export interface MapDesc {
  t: 'map';
  fields: Record<string, Desc>;
  doc: string;
}

/** A map whose keys the user chooses (address and port groups); values are text. */
export interface TextMapDesc {
  t: 'text-map';
  def: Record<string, string>;
  doc: string;
}

/** A sequence of text values. */
export interface TextListDesc {
  t: 'text-list';
  def: string[];
  doc: string;
}

/**
 * A sequence whose items `readItem` checks one by one: it gets an item as
 * plain values (text, or a map of text for an item such as `key: value`)
 * and returns the typed item or the problem. A single value is read as a
 * sequence of one item.
 */
export interface ItemListDesc {
  t: 'item-list';
  doc: string;
  readItem: (value: unknown) => { value: unknown } | { problem: string };
}

/** A section kapu accepts without checking, kept for a later release. */
export interface AnyDesc {
  t: 'any';
  doc: string;
}

/** A sequence of maps that share one set of keys, such as `policy.responses`. */
export interface MapListDesc {
  t: 'map-list';
  item: MapDesc;
  doc: string;
}

export type Desc = ScalarDesc | MapDesc | TextMapDesc | TextListDesc | ItemListDesc | AnyDesc | MapListDesc;

/** Declares a map of known keys. */
export function section(doc: string, fields: Record<string, Desc>): MapDesc {
  return { t: 'map', fields, doc };
}

/** Declares a boolean key. */
export function bool(def: boolean, doc: string): ScalarDesc {
  return { t: 'scalar', schema: booleanSchema, def, defText: def ? 'yes' : 'no', doc };
}

/** Declares a byte-size key; `defText` is the default as Suricata's stock file writes it. */
export function bytes(defText: string, def: number, doc: string): ScalarDesc {
  return { t: 'scalar', schema: byteSizeSchema, def, defText, doc };
}

/** Declares a whole-number key. */
export function int(def: number, min: number, max: number, doc: string): ScalarDesc {
  return { t: 'scalar', schema: integerSchema(min, max), def, defText: String(def), doc };
}

/** Declares a decimal-number key. */
export function decimal(def: number, min: number, max: number, doc: string): ScalarDesc {
  return { t: 'scalar', schema: decimalSchema(min, max), def, defText: String(def), doc };
}

/** Declares a duration key in seconds. */
export function seconds(def: number, doc: string): ScalarDesc {
  return { t: 'scalar', schema: durationSchema, def, defText: String(def), doc };
}

/** Declares a text key; a null default means the key is unset unless given. */
export function text(def: string | null, doc: string): ScalarDesc {
  return { t: 'scalar', schema: stringSchema, def, defText: def === null ? '(unset)' : def, doc };
}

/** Declares a key that takes `auto` or a boolean (read as 'auto', 'yes' or 'no'). */
export function autoOrBool(doc: string): ScalarDesc {
  return { t: 'scalar', schema: autoOrBooleanSchema, def: 'auto', defText: 'auto', doc };
}

/** Declares a key that takes one of `values`. */
export function oneOf(values: readonly string[], def: string, doc: string): ScalarDesc {
  return { t: 'scalar', schema: enumSchema(values), def, defText: def, doc };
}

/** Declares a map of user-chosen keys to text. */
export function textMap(def: Record<string, string>, doc: string): TextMapDesc {
  return { t: 'text-map', def, doc };
}

/** Declares a sequence of text values. */
export function textList(def: string[], doc: string): TextListDesc {
  return { t: 'text-list', def, doc };
}

/** Declares a sequence of checked items; the default is empty. */
export function itemList(doc: string, readItem: ItemListDesc['readItem']): ItemListDesc {
  return { t: 'item-list', doc, readItem };
}

/** Declares a sequence of maps with the keys of `item`; it is empty by default. */
export function mapList(item: MapDesc, doc: string): MapListDesc {
  return { t: 'map-list', item, doc };
}

/** Marks a scalar key of a map-list item as required. */
export function required(desc: ScalarDesc): ScalarDesc {
  return { ...desc, required: true, defText: '(required)' };
}

/** Declares a section accepted as it is. */
export function accepted(doc: string): AnyDesc {
  return { t: 'any', doc };
}

/** Converts a kapu.yaml key (`hash-size`) to the property name of KapuConfig (`hashSize`). */
export function propertyName(key: string): string {
  return key.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Builds the default value of a descriptor. */
export function defaultOf(desc: Desc): unknown {
  switch (desc.t) {
    case 'scalar':
      return desc.def;
    case 'text-map':
      return { ...desc.def };
    case 'text-list':
      return [...desc.def];
    case 'item-list':
    case 'map-list':
      return [];
    case 'any':
      // Accepted sections stay absent from KapuConfig unless the file sets them.
      return undefined;
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(desc.fields)) {
        const value = defaultOf(child);
        if (value !== undefined) out[propertyName(key)] = value;
      }
      return out;
    }
  }
}
