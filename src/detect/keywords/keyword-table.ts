/**
 * The table of keywords kapu runs. Keyword modules add themselves with
 * `registerKeyword` when they are imported; registry.ts imports them all,
 * so the parser sees every keyword once registry.ts is loaded.
 */
import type { KeywordDef } from '../signature.js';

/** Registered keywords by name and by alias. */
export const KEYWORDS: Map<string, KeywordDef> = new Map();

/** Adds a keyword (and its aliases); a name registered twice is a programming error. */
export function registerKeyword(def: KeywordDef): void {
  for (const name of [def.name, ...(def.aliases ?? [])]) {
    if (KEYWORDS.has(name)) throw new Error(`rule keyword '${name}' is registered twice`);
    KEYWORDS.set(name, def);
  }
}
