/**
 * Runs one az-compatible command as az does: parse the arguments (with the global ones every az command takes),
 * ask for confirmation where az does, run, add `resourceGroup` to results that carry an ARM id (az's global
 * transform), apply --query, render with --output, and map every failure to az's message and exit code.
 */
import { AzCliError, ArgumentUsageError, renderError } from './errors.js';
import { CommandContext, type Io } from './context.js';
import { commandHelp } from './help.js';
import { formatJson, formatJsonColor } from './output/json.js';
import { formatTable } from './output/table.js';
import { formatTsv } from './output/tsv.js';
import { formatYaml } from './output/yaml.js';
import { parseArgs } from './parse-args.js';
import { compileQuery, jmespathTransformer, runQuery, type CompiledQuery } from './query.js';
import type { ArgSpec, CommandSpec, ParsedValues } from './spec.js';

export const OUTPUT_FORMATS = ['json', 'jsonc', 'yaml', 'yamlc', 'table', 'tsv', 'none'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The arguments every az command accepts (knack's global arguments), plus aksemu's --data-dir. */
export const GLOBAL_ARGS: ArgSpec[] = [
  { dest: '_output', options: ['--output', '-o'], choices: OUTPUT_FORMATS, help: 'Output format.', metavar: 'OUTPUT' },
  { dest: '_query', options: ['--query'], help: 'JMESPath query string. See http://jmespath.org/ for more information and examples.', metavar: 'JMESPATH' },
  { dest: '_debug', options: ['--debug'], kind: 'flag', help: 'Increase logging verbosity to show all debug logs.' },
  { dest: '_verbose', options: ['--verbose'], kind: 'flag', help: 'Increase logging verbosity. Use --debug for full debug logs.' },
  { dest: '_onlyShowErrors', options: ['--only-show-errors'], kind: 'flag', help: 'Only show errors, suppressing warnings.' },
  { dest: '_dataDir', options: ['--data-dir'], help: 'The aksemu instance to talk to (default: $AKSEMU_DATA_DIR or ~/.local/share/aksemu).' },
];

const SUBSCRIPTION_ARG: ArgSpec = {
  dest: '_subscription',
  options: ['--subscription'],
  help: 'Name or ID of subscription. You can configure the default subscription using `az account set -s NAME_OR_ID`.',
};
const NO_WAIT_ARG: ArgSpec = { dest: 'noWait', options: ['--no-wait'], kind: 'flag', help: 'Do not wait for the long-running operation to finish.' };
const YES_ARG: ArgSpec = { dest: 'yes', options: ['--yes', '-y'], kind: 'flag', help: 'Do not prompt for confirmation.' };

export function commandArgs(spec: CommandSpec): ArgSpec[] {
  return [
    ...spec.args,
    ...(spec.noWait ? [NO_WAIT_ARG] : []),
    ...(spec.confirm ? [YES_ARG] : []),
    ...(spec.subscription === false ? [] : [SUBSCRIPTION_ARG]),
    ...GLOBAL_ARGS,
  ];
}

/** az's global transform: every dict with an ARM id in a resource group also gets `resourceGroup`. */
export function addResourceGroup(value: unknown): void {
  if (Array.isArray(value)) {
    for (const v of value) addResourceGroup(v);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const obj = value as Record<string, unknown>;
  if (!Object.keys(obj).some((k) => k.toLowerCase() === 'resourcegroup') && typeof obj.id === 'string' && obj.id) {
    const parts = obj.id.split('/');
    if (parts.length > 8 && parts[3]?.toLowerCase() === 'resourcegroups') obj.resourceGroup = parts[4];
  }
  for (const [k, v] of Object.entries(obj)) if (k !== 'sourceVault') addResourceGroup(v);
}

/** az's confirmation=True: without --yes, ask; without a terminal, warn and cancel. */
async function confirm(ctx: CommandContext, question: string): Promise<void> {
  if (!ctx.isInteractive) {
    ctx.warn('Unable to prompt for confirmation as no tty available. Use --yes.');
    throw new AzCliError('Operation cancelled.');
  }
  await ctx.confirm(question);
}

export interface OutputOptions {
  output: OutputFormat;
  query?: CompiledQuery | undefined;
  tableTransformer?: CommandSpec['tableTransformer'];
  /** Colors for jsonc/yamlc (only when stdout is a terminal, as az decides). */
  color?: boolean;
}

/**
 * The text az prints for a command result: --query applied, then the --output format. Returns '' when there is
 * nothing to print (a null result, or a query that selects nothing).
 */
export async function produceOutput(result: unknown, opts: OutputOptions): Promise<string> {
  if (result === null || result === undefined) return '';
  let value: unknown = result;
  let keepsOrder: (o: object) => boolean = () => false;
  if (opts.query) {
    const q = runQuery(opts.query, value);
    value = q.value;
    keepsOrder = q.createdByQuery;
    if (value === null || value === undefined) return '';
  }
  switch (opts.output) {
    case 'json':
      return formatJson(value);
    case 'jsonc':
      return opts.color ? formatJsonColor(value) : formatJson(value);
    case 'yaml':
    case 'yamlc':
      return await formatYaml(value);
    case 'tsv':
      return formatTsv(value, keepsOrder);
    case 'table': {
      const t = opts.tableTransformer;
      const transformer = typeof t === 'string' ? await jmespathTransformer(t) : t;
      return formatTable(value, { queryActive: opts.query !== undefined, ...(transformer ? { transformer } : {}) });
    }
    case 'none':
      return '';
  }
}

function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  if (!text) return Promise.resolve();
  return new Promise((resolve) => {
    stream.write(text, () => resolve());
  });
}

function stripGlobals(values: ParsedValues): ParsedValues {
  const out: ParsedValues = {};
  for (const [k, v] of Object.entries(values)) if (!k.startsWith('_')) out[k] = v;
  return out;
}

/** Runs `spec` with the words that followed its path; resolves with the exit code. */
export async function runCommand(spec: CommandSpec, tokens: string[], io: Io): Promise<number> {
  const prog = `aksemu ${spec.path}`;
  const args = commandArgs(spec);
  let ctx: CommandContext | undefined;
  let debug = tokens.includes('--debug');
  try {
    const parsed = parseArgs(prog, args, tokens);
    if (parsed.help) {
      await write(io.stdout, commandHelp(spec, args, new Set([...GLOBAL_ARGS.map((a) => a.dest), '_subscription'])));
      return 0;
    }
    const v = parsed.values;
    debug = Boolean(v._debug);
    const envOutput = io.env.AZURE_CORE_OUTPUT?.toLowerCase();
    const output = (v._output ?? (OUTPUT_FORMATS.includes(envOutput as OutputFormat) ? envOutput : 'json')) as OutputFormat;
    const query = v._query !== undefined ? await compileQuery(String(v._query)) : undefined;
    ctx = new CommandContext({
      prog,
      specified: parsed.specified,
      ...(v._dataDir !== undefined ? { dataDir: String(v._dataDir) } : {}),
      ...(v._subscription !== undefined ? { subscription: String(v._subscription) } : {}),
      noWait: Boolean(v.noWait),
      yes: Boolean(v.yes),
      debug,
      verbose: Boolean(v._verbose),
      onlyShowErrors: Boolean(v._onlyShowErrors),
      io,
    });
    if (spec.confirm && !v.yes) await confirm(ctx, spec.confirm);
    const result = await spec.run(ctx, stripGlobals(v));
    addResourceGroup(result);
    await write(io.stdout, await produceOutput(result, { output, query, tableTransformer: spec.tableTransformer, color: Boolean(io.stdout.isTTY) }));
    return 0;
  } catch (err) {
    if (err instanceof AzCliError) {
      // Usage errors end with the command's examples and the reference link, as az prints them offline.
      if (err instanceof ArgumentUsageError && !err.message.startsWith('argument --query')) err.examples ??= spec.examples ?? [];
      io.stderr.write(renderError(err));
      if (debug && err.stack) io.stderr.write(`${err.stack}\n`);
      return err.exitCode;
    }
    const e = err as Error;
    io.stderr.write(`ERROR: ${e?.message ?? String(err)}\n`);
    if (debug || io.env.AKSEMU_DEBUG) io.stderr.write(`${e?.stack ?? ''}\n`);
    return 1;
  } finally {
    ctx?.close();
  }
}
