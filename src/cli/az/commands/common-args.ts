/** Argument definitions many commands share, with az's option strings and help. */
import type { ArgSpec } from '../framework/spec.js';

export const resourceGroupArg = (required = true, help = 'Name of resource group. You can configure the default group using `az configure --defaults group=<name>`.'): ArgSpec => ({
  dest: 'resourceGroup',
  options: ['--resource-group', '-g'],
  required,
  help,
});

export const locationArg = (help = 'Location. Values from: `az account list-locations`. You can configure the default location using `az configure --defaults location=<location>`.'): ArgSpec => ({
  dest: 'location',
  options: ['--location', '-l'],
  help,
});

export const tagsArg = (dest = 'tags', options = ['--tags']): ArgSpec => ({
  dest,
  options,
  kind: 'list',
  allowEmpty: true,
  help: 'Space-separated tags: key[=value] [key[=value] ...]. Use "" to clear existing tags.',
});

/** az's tags_type: `a=b c` → {a:'b', c:''}; an empty string clears. */
export function parseTags(items: string[] | undefined): Record<string, string> | undefined {
  if (items === undefined) return undefined;
  const tags: Record<string, string> = {};
  for (const item of items) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0) tags[item] = '';
    else tags[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return tags;
}
