/**
 * Where the shared test corpus is: the folder named by KAPU_CORPUS, else
 * `../shared/corpus` beside the checkout. Compat tests and benchmarks read
 * it; `npm test` never needs it.
 */
import { fileURLToPath } from 'node:url';

/** Repository root: this file compiles to dist/test/corpus-path.js. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const CORPUS_DIR = process.env['KAPU_CORPUS'] ?? fileURLToPath(new URL('../../../shared/corpus', import.meta.url));
