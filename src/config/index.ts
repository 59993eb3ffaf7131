/** Configuration loading: loadConfig and the KapuConfig type. */
export { loadConfig } from './load-config.js';
export type { LoadedConfig } from './load-config.js';
export type * from './types.js';
export { parseBoolean, parseByteSize, parseDurationSeconds } from './values.js';
