/**
 * "The outputs the documents show match in shape": the enableFips table, node lists, fips_enabled 1, the KMS list
 * table, key ids. Each check takes the command's stdout and throws with a readable reason when it does not fit.
 */
/** Throws when the output does not fit; `vars` are the shell variables set so far (KEY_ID, NEW_KEY_ID...). */
export type Check = (stdout: string, vars: Record<string, string>) => void;

function fail(what: string, stdout: string): never {
  throw new Error(`${what}\n--- output ---\n${stdout}`);
}

/** The rows of a table (az's simple format or kubectl's), header first, dashes dropped. */
export function tableRows(stdout: string): string[][] {
  return stdout
    .replace(/\r/g, '')
    .trimEnd()
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^-[- ]*$/.test(l.trim()))
    .map((l) => l.trim().split(/\s{2,}|\t/));
}

/** The FIPS articles' table: Name / enableFips columns, and the given pools with their values. */
export function fipsTable(expected: Record<string, boolean>): Check {
  return (stdout) => {
    const rows = tableRows(stdout);
    const header = rows[0]?.map((h) => h.toLowerCase());
    if (header?.join(' ') !== 'name enablefips') fail('expected the columns Name and enableFips', stdout);
    const values = new Map(rows.slice(1).map((r) => [r[0], r[1]]));
    for (const [pool, fips] of Object.entries(expected)) {
      if (values.get(pool) !== (fips ? 'True' : 'False')) fail(`expected pool ${pool} with enableFips ${fips ? 'True' : 'False'}`, stdout);
    }
  };
}

/** Linux nodes: aks-<pool>-<8 digits>-vmss<6 base-36>; Windows nodes: aks<pool><6 digits> (a 15-character computer name). */
const NODE_NAME = /^aks-[a-z][a-z0-9]{0,11}-\d{8}-vmss[0-9a-z]{6}$|^aks[a-z][a-z0-9]{0,5}\d{6}$/;

/** `kubectl get nodes`: NAME STATUS ROLES AGE VERSION, Ready agent nodes named as AKS names them, with these pools. */
export function nodeList(pools: string[]): Check {
  return (stdout) => {
    const rows = tableRows(stdout);
    if (rows[0]?.join(' ') !== 'NAME STATUS ROLES AGE VERSION') fail('expected the columns NAME STATUS ROLES AGE VERSION', stdout);
    for (const r of rows.slice(1)) {
      if (!NODE_NAME.test(r[0]!) || r[1] !== 'Ready' || r[2] !== 'agent' || !/^v\d+\.\d+\.\d+$/.test(r[4] ?? '')) fail(`unexpected node row: ${r.join(' ')}`, stdout);
    }
    for (const p of pools) if (!rows.slice(1).some((r) => r[0]!.startsWith(`aks-${p}-`) || new RegExp(`^aks${p}\\d{6}$`).test(r[0]!))) fail(`expected nodes of pool ${p}`, stdout);
  };
}

/**
 * The articles' interactive session on a node of `pool` (`kubectl debug node/... -it`): the prompt
 * `root@<node>:/#` with the command, and `1` on the next line (SPEC C-9, F-1).
 */
export function debugSession(pool: string): Check {
  return (stdout) => {
    const lines = stdout.replace(/\r/g, '').split('\n');
    const prompt = new RegExp(`^(root@aks-${pool}-\\d{8}-vmss[0-9a-z]{6}:/# )?cat /proc/sys/crypto/fips_enabled$`);
    const at = lines.findIndex((l) => prompt.test(l));
    if (at < 0) fail(`expected the prompt root@aks-${pool}-...:/# with cat /proc/sys/crypto/fips_enabled`, stdout);
    // What the shell writes before kubectl's attach is connected (its first prompt) can be lost, as on a real
    // cluster (kubectl's "If you don't see a command prompt, try pressing enter."): then the next prompt says where.
    if (!lines[at]!.startsWith('root@') && !lines.slice(at + 1).some((l) => new RegExp(`^root@aks-${pool}-\\d{8}-vmss[0-9a-z]{6}:/# `).test(l))) {
      fail(`expected a prompt root@aks-${pool}-...:/# after the command`, stdout);
    }
    if (lines[at + 1]?.trim() !== '1') fail('expected fips_enabled to print 1 on the next line', stdout);
  };
}

/** The KMS article's list: Name, KmsEnabled, KeyId, with this cluster's row. */
export function kmsTable(cluster: string, enabled: boolean): Check {
  return (stdout) => {
    const rows = tableRows(stdout);
    if (rows[0]?.join(' ') !== 'Name KmsEnabled KeyId') fail('expected the columns Name KmsEnabled KeyId', stdout);
    const row = rows.find((r) => r[0] === cluster);
    if (!row || row[1] !== (enabled ? 'True' : 'False')) fail(`expected ${cluster} with KmsEnabled ${enabled ? 'True' : 'False'}`, stdout);
    if (!/^https:\/\/[a-z0-9-]+\.vault\.azure\.net\/keys\/[^/]+\/[0-9a-f]{32}$/.test(row[2] ?? '')) fail('expected a key id in KeyId', stdout);
  };
}

export const keyId: Check = (stdout) => {
  if (!/^https:\/\/[a-z0-9-]+\.vault\.azure\.net\/keys\/[^/]+\/[0-9a-f]{32}\s*$/.test(stdout)) fail('expected a Key Vault key id', stdout);
};

export const guid: Check = (stdout) => {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\s*$/.test(stdout)) fail('expected an object id', stdout);
};

export const resourceId: Check = (stdout) => {
  if (!/^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/[^\s]+\s*$/i.test(stdout)) fail('expected an ARM resource id', stdout);
};

/** JSON output with these members (a subset). */
export function jsonWith(pred: (o: any, vars: Record<string, string>) => boolean, what: string): Check {
  return (stdout, vars) => {
    let o: unknown;
    try {
      o = JSON.parse(stdout);
    } catch {
      fail('expected JSON output', stdout);
    }
    if (!pred(o, vars)) fail(`expected ${what}`, stdout);
  };
}

/**
 * A command run on a terminal: its prompts, answers and progress spinner (stderr shares the terminal, with its
 * erase-line escapes) come first, then its JSON output, from the first `{` that ends a line.
 */
export function jsonAfterPrompts(pred: (o: any, vars: Record<string, string>) => boolean, what: string): Check {
  return (stdout, vars) => {
    // eslint-disable-next-line no-control-regex
    const text = stdout.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '');
    const start = text.indexOf('{\n');
    if (start < 0) fail('expected JSON output after the prompts', stdout);
    jsonWith(pred, what)(text.slice(start), vars);
  };
}

/** Pods of kube-system, including konnectivity-agent (SPEC K-7). */
export const kubeSystemPods: Check = (stdout) => {
  const rows = tableRows(stdout);
  if (rows[0]?.join(' ') !== 'NAME READY STATUS RESTARTS AGE') fail('expected the columns NAME READY STATUS RESTARTS AGE', stdout);
  if (!rows.some((r) => r[0]!.startsWith('konnectivity-agent-'))) fail('expected konnectivity-agent pods', stdout);
};

/** `kubectl replace` of every secret: one "replaced" line per secret, at least one. */
export const secretsReplaced: Check = (stdout) => {
  const lines = stdout.trim().split('\n').filter(Boolean);
  if (lines.length === 0 || !lines.every((l) => /^secret\/\S+ replaced$/.test(l))) fail('expected "secret/NAME replaced" lines', stdout);
};
