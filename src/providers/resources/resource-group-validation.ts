/** The checks on a resource group request: its name, its tags and the `$filter` of a list. */
import { ArmError, armErrors } from '../../arm/errors.js';
import type { ResourceGroup } from '../../arm/repository.js';

const RG_NAME = /^[-\w.()]{1,90}$/u;

export function validateName(name: string): void {
  if (RG_NAME.test(name) && !name.endsWith('.')) return;
  const invalid = [...new Set([...name].filter((c) => !/[-\w.()]/u.test(c)))].join('');
  throw new ArmError(
    400,
    'InvalidResourceGroup',
    invalid
      ? `The provided resource group name '${name}' has these invalid characters: '${invalid}'. The name can only be a letter, digit, '-', '.', '(', ')' or '_'.`
      : `Resource group name '${name}' is invalid. It must be 1-90 characters of letters, digits, '-', '.', '(', ')' or '_', and must not end with a period.`,
  );
}

export function validateTags(tags: unknown): Record<string, string> | undefined {
  if (tags === undefined || tags === null) return undefined;
  if (typeof tags !== 'object' || Array.isArray(tags)) throw armErrors.invalidContent('tags must be an object of strings');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags as Record<string, unknown>)) {
    if (typeof v !== 'string') throw armErrors.invalidContent(`the value of tag '${k}' must be a string`);
    if (k.length > 512 || v.length > 256) {
      throw new ArmError(400, 'InvalidTag', `The tag name '${k}' or its value exceeds the maximum length (512 for names, 256 for values).`);
    }
    out[k] = v;
  }
  if (Object.keys(out).length > 50) throw new ArmError(400, 'InvalidTag', 'A resource can have at most 50 tags.');
  return out;
}

/** The groups a list's `$filter` (`tagName eq 'name' [and tagValue eq 'value']`) selects. */
export function filterByTag(groups: ResourceGroup[], filter: string | null): ResourceGroup[] {
  if (!filter) return groups;
  const m = /^\s*tagName\s+eq\s+'([^']*)'(?:\s+and\s+tagValue\s+eq\s+'([^']*)')?\s*$/i.exec(filter);
  if (!m) throw new ArmError(400, 'InvalidFilterInQueryString', `The $filter '${filter}' is not supported. Supported: tagName eq 'name' [and tagValue eq 'value'].`);
  return groups.filter((g) => g.tags && m[1]! in g.tags && (m[2] === undefined || g.tags[m[1]!] === m[2]));
}
