/**
 * The `yaml` package, loaded on first use. The emulator needs it only for YAML request bodies, YAML output and
 * kubeconfigs, all rare next to JSON; loading it eagerly cost a start-up ~25 ms for nothing. Synchronous on
 * purpose (createRequire of the package's CommonJS build): its callers are synchronous parsers and encoders.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let loaded: typeof Yaml | undefined;

export function yaml(): typeof Yaml {
  loaded ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return loaded;
}
