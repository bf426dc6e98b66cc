/**
 * How an az-compatible command is declared: its path (`aks nodepool add`), its arguments with az's option
 * strings, types, choices and defaults, and the function that runs it. The declarations are data, so the parser,
 * the help text and the "did you mean" hints all come from the same place.
 */
import type { CommandContext } from './context.js';

/**
 * - `string`, `int`, `float`: one value (argparse nargs=None);
 * - `flag`: no value (store_true);
 * - `three-state`: az's get_three_state_flag: `--x`, `--x true`, `--x false` (nargs='?');
 * - `list`: one or more values (nargs='+'), or zero or more with `allowEmpty` (nargs='*').
 */
export type ArgKind = 'string' | 'int' | 'float' | 'flag' | 'three-state' | 'list';

export interface ArgSpec {
  /** The key the parsed value is stored under, e.g. `resourceGroup`. */
  dest: string;
  /** az's option strings, in az's order: `['--nodepool-name', '--name', '-n']`. */
  options: string[];
  kind?: ArgKind;
  /** Allowed values, matched case-insensitively and normalized to this spelling (az's get_enum_type). */
  choices?: readonly string[];
  required?: boolean;
  default?: unknown;
  /** nargs='*' for `list`. */
  allowEmpty?: boolean;
  help?: string;
  /** Shown in help instead of the upper-cased dest. */
  metavar?: string;
  /** Help section ('Arguments' by default). */
  group?: string;
  /** Accepted but not listed in help (aliases kept for the seed documents). */
  hidden?: boolean;
}

export interface Example {
  name: string;
  text: string;
}

export type ParsedValues = Record<string, any>;

export interface CommandSpec {
  /** The words after `aksemu`, e.g. `aks nodepool add`. */
  path: string;
  summary: string;
  args: ArgSpec[];
  examples?: Example[];
  /** Adds `--no-wait` (long-running operations). */
  noWait?: boolean;
  /**
   * Adds `--yes/-y`; without it the command asks this question on a TTY and refuses when there is none
   * (az's `confirmation=True`).
   */
  confirm?: string;
  /** Adds `--subscription` (commands that act on ARM resources). Default true. */
  subscription?: boolean;
  /**
   * What `-o table` shows when no --query is given: a JMESPath expression or a function, like az's
   * table_transformer.
   */
  tableTransformer?: string | ((result: any) => unknown);
  run(ctx: CommandContext, args: ParsedValues): Promise<unknown>;
}

export interface GroupSpec {
  path: string;
  summary: string;
}

/** The action name argparse uses in messages: all option strings joined by '/'. */
export function argDisplayName(arg: ArgSpec): string {
  return arg.options.join('/');
}
