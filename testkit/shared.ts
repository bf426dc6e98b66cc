/**
 * The shared reference folder: reference material that lives beside the clone, never inside the repository
 * (Azure's REST API specification examples, upstream golden vectors and .proto files). It is found through
 * `AKSEMU_SHARED_DIR`, or else the `shared` folder next to the repository's own folder (`<repo>/../shared`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './root.js';

export const SHARED_DIR_VARIABLE = 'AKSEMU_SHARED_DIR';
export const REST_SPECS_VARIABLE = 'AKSEMU_REST_SPECS';

/** The shared folder, when it exists. */
export function sharedDir(): string | undefined {
  const named = process.env[SHARED_DIR_VARIABLE];
  if (named) return existsSync(named) ? named : undefined;
  const beside = join(repoRoot(), '..', 'shared');
  return existsSync(beside) ? beside : undefined;
}

/** A file below the shared folder's `reference/`, or an error that says which variable to set. */
export function sharedReference(file: string): string {
  const dir = sharedDir();
  const path = dir && join(dir, 'reference', file);
  if (!path || !existsSync(path)) {
    throw new Error(`reference/${file} is not in the shared folder: set ${SHARED_DIR_VARIABLE} to the folder that holds it (default: <repository>/../shared)`);
  }
  return path;
}

/** Azure's REST API specification corpus (swaggers and their examples): `AKSEMU_REST_SPECS`, else `<shared>/reference/rest-specs`. */
export function restSpecsDir(): string | undefined {
  const named = process.env[REST_SPECS_VARIABLE];
  if (named) return existsSync(named) ? named : undefined;
  const dir = sharedDir();
  const path = dir && join(dir, 'reference', 'rest-specs');
  return path && existsSync(path) ? path : undefined;
}
