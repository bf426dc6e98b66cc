/**
 * `-o yaml`: knack's format_yaml, i.e. PyYAML's safe_dump(result, default_flow_style=False, allow_unicode=True):
 * block style, keys sorted, sequences not indented under their key, strings quoted with single quotes only
 * when they would read as something else.
 */
import { stringify } from 'yaml';

export function formatYaml(result: unknown): string {
  if (result === null || result === undefined) return 'null\n...\n';
  if (typeof result !== 'object') {
    // PyYAML ends a lone scalar document with an explicit end marker.
    return `${stringify(result, { singleQuote: true, lineWidth: 0 }).trimEnd()}\n...\n`;
  }
  return stringify(result, {
    sortMapEntries: true,
    indentSeq: false,
    singleQuote: true,
    lineWidth: 0,
    nullStr: 'null',
    trueStr: 'true',
    falseStr: 'false',
  });
}
