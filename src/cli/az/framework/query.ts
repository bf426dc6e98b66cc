/**
 * `--query`: JMESPath on the command's result, with @jmespath-community/jmespath standing in for the Python
 * jmespath 1.0.1 that az uses. Compatibility notes, checked against az:
 * - Python's parser accepts a multi-select hash without commas between pairs
 *   (`{Name:name enableFips:enableFips}`, as the FIPS article writes it): the pair loop only consumes a comma
 *   when there is one. The community parser has the same loop, so the seed's query parses identically.
 * - Python accepts the deprecated backtick string literal (`` `foo` ``); enable_legacy_literals does the same.
 * - A syntax error is an argument error (exit 2: "argument --query: invalid jmespath_type value: '...'"); an
 *   error while evaluating (unknown function, wrong arity or types) is a command error (exit 1: "Invalid jmespath
 *   query supplied for `--query`: ...").
 * - Dicts built by the query (multi-select hashes) keep their key order in tsv and table output; dicts from the
 *   service are sorted (knack's OrderedDict vs dict distinction). `createdByQuery` tells them apart.
 */
import type * as Jmespath from '@jmespath-community/jmespath';
import { ArgumentUsageError, AzCliError, QUERY_REFERENCE } from './errors.js';

type Lib = typeof Jmespath;
type Compiled = ReturnType<Lib['compile']>;

export interface CompiledQuery {
  source: string;
  ast: Compiled;
  lib: Lib;
}

let lib: Promise<Lib> | undefined;
/** The JMESPath library, loaded when a command first needs it (most invocations never do). */
function jmespath(): Promise<Lib> {
  lib ??= import('@jmespath-community/jmespath');
  return lib;
}

export async function compileQuery(expression: string): Promise<CompiledQuery> {
  const j = await jmespath();
  try {
    return { source: expression, ast: j.compile(expression, { enable_legacy_literals: true }), lib: j };
  } catch {
    throw new ArgumentUsageError(`argument --query: invalid jmespath_type value: '${expression}'`, [QUERY_REFERENCE]);
  }
}

function collectObjects(value: unknown, into: WeakSet<object>): void {
  if (typeof value !== 'object' || value === null) return;
  if (into.has(value)) return;
  into.add(value);
  if (Array.isArray(value)) for (const v of value) collectObjects(v, into);
  else for (const v of Object.values(value)) collectObjects(v, into);
}

export interface QueryResult {
  value: unknown;
  /** True for dicts the query itself built (they keep their key order). */
  createdByQuery(obj: object): boolean;
}

export function runQuery(query: CompiledQuery, data: unknown): QueryResult {
  const originals = new WeakSet<object>();
  collectObjects(data, originals);
  let value: unknown;
  try {
    value = query.lib.TreeInterpreter.search(query.ast as never, data as never);
  } catch (err) {
    throw new AzCliError(`Invalid jmespath query supplied for \`--query\`: ${(err as Error).message}`, 1, [QUERY_REFERENCE]);
  }
  return { value, createdByQuery: (obj) => !originals.has(obj) };
}

/** A table transformer written as a JMESPath expression (az's string table_transformer). */
export async function jmespathTransformer(expression: string): Promise<(result: unknown) => unknown> {
  const q = await compileQuery(expression);
  return (result) => q.lib.TreeInterpreter.search(q.ast as never, result as never);
}
