/**
 * The differential check of the seed suite: one command line's outcome through the aksemu CLI and through the
 * current az, each on its own instance. Equal means the same exit code and
 * - for JSON output: the same document once values that differ between two instances by nature are normalised
 *   (GUIDs, key versions, times, SSH keys, the generated parts of names), and with `null` members dropped: az
 *   prints every property its SDK model knows, null when the service did not send it, where the aksemu CLI prints
 *   the service's JSON as it came;
 * - for other output (table, tsv, plain text, kubectl's): the same lines once normalised, with runs of spaces
 *   collapsed (column widths follow the values' lengths);
 * - for a refusal: the same error message (az's `ERROR: ...` text).
 * A difference that is the CLI's documented choice is in KNOWN_DIFFERENCES (each also in docs/cli.md, which a test
 * checks); any other is returned as unexplained.
 */
import type { ShellResult } from './runner.js';

export interface KnownDifference {
  /** Stable name, as docs/cli.md lists it. */
  id: string;
  /** Commands it applies to. */
  command: RegExp;
  /** The JSON path (`a.b[0].c`) or `stdout`/`stderr`/`code` the difference is at. */
  at: RegExp;
  why: string;
}

export const KNOWN_DIFFERENCES: KnownDifference[] = [
  { id: 'version', command: /^az --version$/, at: /^stdout$/, why: "the aksemu CLI reports its own version, not az's component list" },
  {
    id: 'kms-status',
    command: /^az aks /,
    at: /^status\.azureKeyVaultKms$/,
    why: "aksemu's view of a cluster's KMS plugins (status.azureKeyVaultKms), which the service adds and az's SDK model drops",
  },
  {
    id: 'kms-health-timing',
    command: /^az (aks|keyvault) /,
    at: /^status\.provisioningError$/,
    why: "a KMS plugin's health is probed on each instance's own schedule, and a probe that times out on a loaded machine reports the plugin unhealthy until the next one: two instances can disagree for a moment",
  },
];

const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const HEX32 = /\b[0-9a-f]{32}\b/g;
/** resourceUid and other 24-hex ids. */
const HEX24 = /\b[0-9a-f]{24}\b/g;
/** The subscription's first six hex digits, which AKS puts in default DNS prefixes and FQDNs. */
const SUBSCRIPTION_PREFIX = /-[0-9a-f]{6}\b/g;
const ISO_TIME = /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?/g;
const SSH_KEY = /ssh-rsa [A-Za-z0-9+/=]+(?: [^\s"]+)?/g;

/** Normalises the values two instances give differently by nature. */
export function normaliseText(text: string): string {
  return text
    .replace(SSH_KEY, '<ssh-key>')
    .replace(ISO_TIME, '<time>')
    .replace(GUID, '<guid>')
    .replace(HEX32, '<hex32>')
    .replace(HEX24, '<hex24>')
    .replace(/\baksemu[0-9a-f]{8}\.onmicrosoft\.com\b/g, 'aksemu<tenant>.onmicrosoft.com')
    .replace(/\b(aks-[a-z][a-z0-9]*-)\d{8}(-vmss)[0-9a-z]{6}\b/g, '$1<n>$2<i>')
    .replace(/\b(aks[a-z][a-z0-9]{0,5})\d{6}\b/g, '$1<i>')
    .replace(/-[0-9a-f]{8}\.(portal\.)?(hcp|privatelink)\./g, '-<h>.$1$2.')
    .replace(SUBSCRIPTION_PREFIX, '-<sub6>')
    .replace(/(node-debugger-\S+?-vmss<i>)-[a-z0-9]{5}\b/g, '$1-<rand>')
    .replace(/[A-Za-z0-9+/_-]{100,}={0,2}/g, '<base64>')
    .replace(/\bazurekmsprovider-[0-9a-f]{8}\b/g, 'azurekmsprovider-<h>')
    .replace(/\b\d+\.\d+s\b/g, '<seconds>');
}

/**
 * Key Vault access-policy permissions are a set: az sends them as `list(set(...))`, in an order that changes with
 * Python's hash seed from one run to the next.
 */
const UNORDERED = /(^|\.)permissions\.[a-z]+$/i;

function normaliseJson(v: unknown, path = ''): unknown {
  if (typeof v === 'string') return normaliseText(v);
  if (Array.isArray(v)) {
    const items = v.map((x, i) => normaliseJson(x, `${path}[${i}]`));
    return UNORDERED.test(path) && items.every((x) => typeof x === 'string') ? [...(items as string[])].sort() : items;
  }
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[normaliseText(k)] = normaliseJson(x, path ? `${path}.${k}` : k);
    return out;
  }
  return v;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  const t = text.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(t) };
  } catch {
    return { ok: false };
  }
}

/** The paths where two normalised JSON values differ, with both sides. */
function jsonDiff(a: unknown, b: unknown, path: string, out: Array<{ at: string; detail: string }>): void {
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) out.push({ at: path, detail: `${a.length} items (aksemu) vs ${b.length} (az)` });
      for (let i = 0; i < Math.min(a.length, b.length); i++) jsonDiff(a[i], b[i], `${path}[${i}]`, out);
      return;
    }
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) jsonDiff(ao[k], bo[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ at: path || '(root)', detail: `${JSON.stringify(a)?.slice(0, 600)} (aksemu) vs ${JSON.stringify(b)?.slice(0, 600)} (az)` });
}

/** kubectl's AGE column (and other durations it prints): the two instances' objects are of different ages. */
const AGE = /(?<=\s)\d+[dhms](?:\d+[hms])?(?=\s|$)/g;

/** Names the controllers generate: `<deployment>-<template hash>-<5>` and `<owner>-<5>` (pods of two clusters). */
const GENERATED_NAME = /^([a-z0-9]+(?:-[a-z]+)*?)(?:-[a-z0-9]{8,10})?-[a-z0-9]{5}(?=\s)/gm;

const lines = (text: string) =>
  normaliseText(text.replace(/\r/g, ''))
    .replace(AGE, '<age>')
    .replace(GENERATED_NAME, '$1-<generated>')
    .split('\n')
    .map((l) => l.trim().replace(/\s{2,}/g, '  '))
    .filter((l) => l !== '' && !/^-[- ]*$/.test(l));

/** The JSON a command run on a terminal prints after its prompts and spinner (from the first `{` ending a line). */
export function afterPrompts(r: ShellResult): ShellResult {
  // eslint-disable-next-line no-control-regex
  const text = r.stdout.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
  const start = text.indexOf('{\n');
  return { ...r, stdout: start >= 0 ? text.slice(start) : text };
}

/** az's error message: the `ERROR:` line(s) of stderr, without warnings or progress. */
function errorText(stderr: string): string {
  const at = stderr.indexOf('ERROR:');
  return normaliseText((at >= 0 ? stderr.slice(at) : stderr).trim());
}

export interface Differences {
  unexplained: string[];
  known: string[];
}

export function differences(command: string, cli: ShellResult, az: ShellResult): Differences {
  const found: Array<{ at: string; detail: string }> = [];
  if (cli.code !== az.code) found.push({ at: 'code', detail: `exit ${cli.code} (aksemu) vs ${az.code} (az)` });
  if (cli.code !== 0 || az.code !== 0) {
    if (errorText(cli.stderr) !== errorText(az.stderr)) found.push({ at: 'stderr', detail: `${errorText(cli.stderr)} (aksemu) vs ${errorText(az.stderr)} (az)` });
  } else {
    const a = parseJson(cli.stdout);
    const b = parseJson(az.stdout);
    if (a.ok && b.ok) jsonDiff(normaliseJson(a.value), normaliseJson(b.value), '', found);
    else {
      // Rows in a stable order: kubectl sorts by name, and the generated part of a name is normalised away.
      const rows = (l: string[]) => [...l.slice(0, 1), ...l.slice(1).sort()];
      const la = rows(lines(cli.stdout));
      const lb = rows(lines(az.stdout));
      if (la.join('\n') !== lb.join('\n')) found.push({ at: 'stdout', detail: `${JSON.stringify(la.join('\n').slice(0, 400))} (aksemu) vs ${JSON.stringify(lb.join('\n').slice(0, 400))} (az)` });
    }
  }
  const result: Differences = { unexplained: [], known: [] };
  for (const f of found) {
    const k = KNOWN_DIFFERENCES.find((d) => d.command.test(command) && d.at.test(f.at));
    if (k) result.known.push(`${k.id}: ${f.at}`);
    else result.unexplained.push(`${f.at}: ${f.detail}`);
  }
  return result;
}
