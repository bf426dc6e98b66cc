/**
 * The argument grammar of az's leaf commands (Python argparse as az configures it), applied to the words after
 * the command path:
 *   --long value, --long=value, -s value, -svalue, -s=value; unique prefixes of long options (`--enable-fips-imag`)
 *   flags (store_true), three-state flags (`--x`, `--x true|false`), lists (nargs '+' / '*'), ints and floats,
 *   case-insensitive choices normalized to az's spelling; the last occurrence of an option wins.
 * Errors carry argparse's / az's messages: "the following arguments are required: ...", "unrecognized
 * arguments: ...", "argument --x: expected one argument", "argument --node-count/-c: invalid int value: 'x'",
 * "<prog>: 'v' is not a valid value for '--x'. Allowed values: a, b." with az's "Did you mean" hints.
 */
import { closeMatches } from './close-matches.js';
import { ArgumentUsageError } from './errors.js';
import { argDisplayName, type ArgSpec, type ParsedValues } from './spec.js';

export interface ParseResult {
  values: ParsedValues;
  /** dests the user gave explicitly. */
  specified: Set<string>;
  help: boolean;
}

const NEGATIVE_NUMBER = /^-\d+$|^-\d*\.\d+$/;

/**
 * argparse's _parse_optional without the parser: a word that starts with '-' is an option unless it is a negative
 * number or contains a space ("--query=a b" is still an option: the known-option checks come first, see
 * `isOption` in parseArgs).
 */
export function looksLikeOption(token: string): boolean {
  return token.startsWith('-') && token.length > 1 && !NEGATIVE_NUMBER.test(token) && !token.includes(' ');
}

function matchChoice(value: string, choices: readonly string[]): string | undefined {
  return choices.find((c) => c.toLowerCase() === value.toLowerCase());
}

function invalidChoice(prog: string, arg: ArgSpec, value: string): ArgumentUsageError {
  const choices = arg.choices!;
  const err = new ArgumentUsageError(
    `${prog}: '${value}' is not a valid value for '${arg.options[0]}'. Allowed values: ${choices.join(', ')}.`,
  );
  const best = closeMatches(value, choices, 1, 0.7);
  if (best.length > 0) err.recommendations.push(`Did you mean '${best[0]}' ?`);
  return err;
}

function convert(prog: string, arg: ArgSpec, raw: string): unknown {
  const name = argDisplayName(arg);
  switch (arg.kind) {
    case 'int':
      if (!/^\s*[-+]?\d+\s*$/.test(raw)) throw new ArgumentUsageError(`argument ${name}: invalid int value: '${raw}'`);
      return Number.parseInt(raw, 10);
    case 'float': {
      const n = Number(raw);
      if (raw.trim() === '' || Number.isNaN(n)) throw new ArgumentUsageError(`argument ${name}: invalid float value: '${raw}'`);
      return n;
    }
    default:
      if (arg.choices) {
        const c = matchChoice(raw, arg.choices);
        if (c === undefined) throw invalidChoice(prog, arg, raw);
        return c;
      }
      return raw;
  }
}

/**
 * Parses `tokens` against `args`. `prog` is the command as typed (`aksemu aks nodepool add`), used in the
 * messages that name it.
 */
export function parseArgs(prog: string, args: ArgSpec[], tokens: string[]): ParseResult {
  const byOption = new Map<string, ArgSpec>();
  for (const a of args) for (const o of a.options) byOption.set(o, a);
  const longOptions = [...byOption.keys()].filter((o) => o.startsWith('--'));

  const values: ParsedValues = {};
  const specified = new Set<string>();
  const extras: string[] = [];
  let help = false;

  const resolve = (token: string): { arg: ArgSpec; explicit: string | undefined } | undefined => {
    if (token.startsWith('--')) {
      const eq = token.indexOf('=');
      const name = eq >= 0 ? token.slice(0, eq) : token;
      const explicit = eq >= 0 ? token.slice(eq + 1) : undefined;
      const exact = byOption.get(name);
      if (exact) return { arg: exact, explicit };
      // argparse's allow_abbrev: a unique prefix of a long option selects it.
      const prefixed = longOptions.filter((o) => o.startsWith(name));
      const targets = new Set(prefixed.map((o) => byOption.get(o)!));
      if (targets.size === 1) return { arg: [...targets][0]!, explicit };
      if (prefixed.length > 1) {
        throw new ArgumentUsageError(`ambiguous option: ${name} could match ${prefixed.join(', ')}`);
      }
      return undefined;
    }
    const exact = byOption.get(token);
    if (exact) return { arg: exact, explicit: undefined };
    const eq = token.indexOf('=');
    if (eq > 0 && byOption.has(token.slice(0, eq))) return { arg: byOption.get(token.slice(0, eq))!, explicit: token.slice(eq + 1) };
    const short = byOption.get(token.slice(0, 2));
    if (short && short.kind !== 'flag') return { arg: short, explicit: token.slice(2) };
    return undefined;
  };

  // A word is an option when it names one (exactly, as --x=value, or by a unique prefix), else by its shape.
  const isOption = (token: string): boolean => {
    if (!token.startsWith('-') || token.length < 2) return false;
    try {
      if (resolve(token)) return true;
    } catch {
      return true;
    }
    return looksLikeOption(token);
  };

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === '--') {
      extras.push(...tokens.slice(i + 1));
      break;
    }
    if (token === '-h' || token === '--help') {
      help = true;
      continue;
    }
    if (!isOption(token)) {
      extras.push(token);
      continue;
    }
    const found = resolve(token);
    if (!found) {
      extras.push(token);
      continue;
    }
    const { arg, explicit } = found;
    const name = argDisplayName(arg);
    const next = (): string | undefined => {
      const t = tokens[i + 1];
      if (t !== undefined && !isOption(t) && t !== '--') {
        i++;
        return t;
      }
      return undefined;
    };
    switch (arg.kind ?? 'string') {
      case 'flag':
        if (explicit !== undefined) throw new ArgumentUsageError(`argument ${name}: ignored explicit argument '${explicit}'`);
        values[arg.dest] = true;
        break;
      case 'three-state': {
        const raw = explicit ?? next();
        if (raw === undefined) values[arg.dest] = true;
        else {
          const c = matchChoice(raw, ['true', 'false']);
          if (c === undefined) throw invalidChoice(prog, { ...arg, choices: ['true', 'false'] }, raw);
          values[arg.dest] = c === 'true';
        }
        break;
      }
      case 'list': {
        const items: string[] = [];
        if (explicit !== undefined) items.push(explicit);
        else for (let v = next(); v !== undefined; v = next()) items.push(v);
        if (items.length === 0 && !arg.allowEmpty) throw new ArgumentUsageError(`argument ${name}: expected at least one argument`);
        values[arg.dest] = items.map((v) => convert(prog, arg, v));
        break;
      }
      default: {
        const raw = explicit ?? next();
        if (raw === undefined) throw new ArgumentUsageError(`argument ${name}: expected one argument`);
        values[arg.dest] = convert(prog, arg, raw);
      }
    }
    specified.add(arg.dest);
  }

  if (help) return { values, specified, help };

  const missing = args.filter((a) => a.required && !specified.has(a.dest));
  if (missing.length > 0) {
    throw new ArgumentUsageError(`the following arguments are required: ${missing.map(argDisplayName).join(', ')}`);
  }
  if (extras.length > 0) {
    const err = new ArgumentUsageError(`unrecognized arguments: ${extras.join(' ')}`);
    // SPEC T-1: an unknown flag gets the closest real one (`--enable-utcm` -> `--enable-vtpm`).
    for (const extra of extras) {
      if (!extra.startsWith('--')) continue;
      const name = extra.split('=')[0]!;
      const best = closeMatches(name, longOptions, 1, 0.7);
      if (best.length > 0) err.recommendations.push(`Did you mean '${best[0]}' ?`);
    }
    throw err;
  }
  for (const a of args) {
    if (!specified.has(a.dest) && a.default !== undefined) values[a.dest] = a.default;
  }
  return { values, specified, help };
}
