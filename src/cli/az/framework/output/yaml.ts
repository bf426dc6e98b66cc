/**
 * `-o yaml`: knack's format_yaml, i.e. PyYAML's safe_dump(result, default_flow_style=False, allow_unicode=True):
 * block style, keys sorted, sequences not indented under their key, and strings single-quoted exactly when
 * PyYAML's YAML 1.1 resolver would read them as something else (timestamps, numbers, yes/no/on/off, null).
 */
import type { Tags } from 'yaml';

// PyYAML's bool resolver (y/n are plain strings to it, unlike the full YAML 1.1 spec).
const PY_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PY_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;

function pyYamlTags(tags: Tags): Tags {
  return tags.map((t) => {
    if (typeof t !== 'object' || t.tag !== 'tag:yaml.org,2002:bool' || !t.test) return t;
    return { ...t, test: t.test.test('true') ? PY_TRUE : PY_FALSE };
  });
}

const OPTIONS = { version: '1.1' as const, customTags: pyYamlTags, singleQuote: true, lineWidth: 0 };

export async function formatYaml(result: unknown): Promise<string> {
  if (result === null || result === undefined) return 'null\n...\n';
  const { stringify } = await import('yaml');
  if (typeof result !== 'object') {
    // PyYAML ends a lone scalar document with an explicit end marker.
    return `${stringify(result, OPTIONS).trimEnd()}\n...\n`;
  }
  return stringify(result, { ...OPTIONS, sortMapEntries: true, indentSeq: false, nullStr: 'null', trueStr: 'true', falseStr: 'false' });
}
