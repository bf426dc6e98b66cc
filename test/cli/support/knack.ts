/**
 * The reference for output formatting: az's own pipeline, run by the Python that Debian's az uses (knack's
 * output.py and the jmespath package, both installed with azure-cli). Given results, --query expressions and
 * --output formats, it answers exactly what az would print, so the CLI's formatting is compared with az itself
 * rather than with expectations written by hand.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const AZ_PYTHON = '/usr/bin/python3';

export interface FormatCase {
  data: unknown;
  query?: string;
  output: 'json' | 'table' | 'tsv' | 'yaml';
  /** A JMESPath table transformer (az's string form). */
  transformer?: string;
}

const SCRIPT = String.raw`
import sys, json
from collections import OrderedDict
import jmespath
from jmespath import Options
from knack.output import format_json, format_table, format_tsv, format_yaml
from knack.util import CommandResultItem
req = json.load(sys.stdin)
out = []
for c in req:
    result = c['data']
    q = c.get('query')
    if q is not None:
        result = jmespath.compile(q).search(result, Options(OrderedDict))
    if result is None:
        out.append('')
        continue
    item = CommandResultItem(result, table_transformer=c.get('transformer'), is_query_active=q is not None)
    fmt = {'json': format_json, 'table': format_table, 'tsv': format_tsv, 'yaml': format_yaml}[c['output']]
    try:
        out.append(fmt(item))
    except Exception as e:
        out.append('ERROR: ' + str(e))
print(json.dumps(out))
`;

export function knackAvailable(): boolean {
  if (!existsSync(AZ_PYTHON)) return false;
  try {
    execFileSync(AZ_PYTHON, ['-c', 'import knack, jmespath, tabulate, yaml'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** What az prints for each case (one Python process for all of them). */
export function knackFormat(cases: FormatCase[]): string[] {
  const out = execFileSync(AZ_PYTHON, ['-c', SCRIPT], { input: JSON.stringify(cases), encoding: 'utf8' });
  return JSON.parse(out) as string[];
}
