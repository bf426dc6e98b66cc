/** Where the project's own .proto files are found at run time (the KMS plugin APIs, KMS v2's EncryptedObject). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The path of a .proto file kept under `src/<area>/proto/`. Compiled code runs from dist/, which holds no .proto
 * files: walk up from this module to the directory that has `src/<area>/proto/<name>`.
 */
export function protoFile(area: string, name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'src', area, 'proto', name);
    if (existsSync(candidate)) return candidate;
    const sibling = join(dir, '..', area, 'proto', name);
    if (existsSync(sibling)) return sibling;
    dir = dirname(dir);
  }
  throw new Error(`cannot find src/${area}/proto/${name} above ${fileURLToPath(import.meta.url)}`);
}
