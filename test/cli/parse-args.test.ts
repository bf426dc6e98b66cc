/**
 * az's argument grammar: what argparse as az configures it accepts and how it refuses, with
 * az's messages. The spawned-binary tests in errors.test.ts check the same end to end (stderr, exit code).
 */
import { describe, expect, it } from 'vitest';
import { closeMatches, similarity } from '../../src/cli/az/framework/close-matches.js';
import { ArgumentUsageError } from '../../src/cli/az/framework/errors.js';
import { parseArgs } from '../../src/cli/az/framework/parse-args.js';
import { commandArgs } from '../../src/cli/az/framework/runner.js';
import { AZ_COMMANDS } from '../../src/cli/az/index.js';
import { AZ_TOP_LEVEL } from '../../src/cli/az/top-level.js';
import type { ArgSpec } from '../../src/cli/az/framework/spec.js';

const ARGS: ArgSpec[] = [
  { dest: 'resourceGroup', options: ['--resource-group', '-g'], required: true },
  { dest: 'nodepoolName', options: ['--nodepool-name', '--name', '-n'], required: true },
  { dest: 'nodeCount', options: ['--node-count', '-c'], kind: 'int', default: 3 },
  { dest: 'osSku', options: ['--os-sku'], choices: ['AzureLinux', 'Ubuntu', 'Windows2022'] },
  { dest: 'enableFipsImage', options: ['--enable-fips-image'], kind: 'flag' },
  { dest: 'enableVtpm', options: ['--enable-vtpm'], kind: 'flag' },
  { dest: 'enableSecureBoot', options: ['--enable-secure-boot'], kind: 'flag' },
  { dest: 'rbac', options: ['--enable-rbac-authorization'], kind: 'three-state' },
  { dest: 'perms', options: ['--key-permissions'], kind: 'list', allowEmpty: true, choices: ['decrypt', 'encrypt', 'wrapKey'] },
  { dest: 'query', options: ['--query'] },
];

const parse = (tokens: string[]) => parseArgs('aksemu aks nodepool add', ARGS, tokens);
function usageError(tokens: string[]): ArgumentUsageError {
  try {
    parse(tokens);
  } catch (err) {
    expect(err).toBeInstanceOf(ArgumentUsageError);
    expect((err as ArgumentUsageError).exitCode).toBe(2);
    return err as ArgumentUsageError;
  }
  throw new Error(`parsing ${tokens.join(' ')} did not fail`);
}

describe('az argument grammar', () => {
  it('takes long and short options, --opt=value, -svalue, aliases and defaults', () => {
    const r = parse(['-g', 'rg', '--name=np', '-c5', '--enable-fips-image']);
    expect(r.values).toMatchObject({ resourceGroup: 'rg', nodepoolName: 'np', nodeCount: 5, enableFipsImage: true });
    expect(parse(['--resource-group', 'rg', '--nodepool-name', 'a']).values.nodeCount).toBe(3);
    expect(parse(['-g', 'rg', '-n', 'a', '-n', 'b']).values.nodepoolName).toBe('b');
  });

  it("accepts a unique prefix of a long option (argparse's allow_abbrev), refuses an ambiguous one", () => {
    expect(parse(['-g', 'rg', '-n', 'a', '--enable-fips-imag']).values.enableFipsImage).toBe(true);
    expect(usageError(['-g', 'rg', '-n', 'a', '--enable']).message).toBe(
      'ambiguous option: --enable could match --enable-fips-image, --enable-vtpm, --enable-secure-boot, --enable-rbac-authorization',
    );
  });

  it('keeps "--query=..." with spaces as the option (the seed writes --query="agentPoolProfiles[].{Name:name enableFips:enableFips}")', () => {
    const r = parse(['-g', 'rg', '-n', 'a', '--query=agentPoolProfiles[].{Name:name enableFips:enableFips}']);
    expect(r.values.query).toBe('agentPoolProfiles[].{Name:name enableFips:enableFips}');
  });

  it('normalizes choices case-insensitively to az\'s spelling and lists', () => {
    expect(parse(['-g', 'r', '-n', 'a', '--os-sku', 'ubuntu']).values.osSku).toBe('Ubuntu');
    expect(parse(['-g', 'r', '-n', 'a', '--key-permissions', 'decrypt', 'ENCRYPT']).values.perms).toEqual(['decrypt', 'encrypt']);
    expect(parse(['-g', 'r', '-n', 'a', '--key-permissions']).values.perms).toEqual([]);
  });

  it('reads three-state flags bare or with true/false', () => {
    expect(parse(['-g', 'r', '-n', 'a', '--enable-rbac-authorization']).values.rbac).toBe(true);
    expect(parse(['-g', 'r', '-n', 'a', '--enable-rbac-authorization', 'false']).values.rbac).toBe(false);
    expect(parse(['-g', 'r', '-n', 'a', '--enable-rbac-authorization', 'TRUE']).values.rbac).toBe(true);
    expect(usageError(['-g', 'r', '-n', 'a', '--enable-rbac-authorization', 'maybe']).message).toBe(
      "aksemu aks nodepool add: 'maybe' is not a valid value for '--enable-rbac-authorization'. Allowed values: true, false.",
    );
  });

  it('names every missing required argument with all its option strings', () => {
    expect(usageError([]).message).toBe('the following arguments are required: --resource-group/-g, --nodepool-name/--name/-n');
  });

  it('lists unrecognized arguments, missing-required first as argparse does', () => {
    expect(usageError(['-g', 'r', '-n', 'a', '--foo', 'bar']).message).toBe('unrecognized arguments: --foo bar');
    expect(usageError(['-g', 'r', '--foo']).message).toMatch(/^the following arguments are required/);
  });

  it("SPEC T-1: --enable-utcm is unknown, with az's hint: did you mean --enable-vtpm", () => {
    const err = usageError(['-g', 'r', '-n', 'a', '--enable-utcm']);
    expect(err.message).toBe('unrecognized arguments: --enable-utcm');
    expect(err.recommendations).toEqual(["Did you mean '--enable-vtpm' ?"]);
  });

  it('refuses invalid enum values with the allowed list and the closest one', () => {
    const err = usageError(['-g', 'r', '-n', 'a', '--os-sku', 'Ubunt']);
    expect(err.message).toBe("aksemu aks nodepool add: 'Ubunt' is not a valid value for '--os-sku'. Allowed values: AzureLinux, Ubuntu, Windows2022.");
    expect(err.recommendations).toEqual(["Did you mean 'Ubuntu' ?"]);
  });

  it('refuses bad ints, missing values and values on flags', () => {
    expect(usageError(['-g', 'r', '-n', 'a', '--node-count', 'x']).message).toBe("argument --node-count/-c: invalid int value: 'x'");
    expect(usageError(['-g', 'r', '-n']).message).toBe('argument --nodepool-name/--name/-n: expected one argument');
    expect(usageError(['-g', 'r', '-n', 'a', '--enable-fips-image=yes']).message).toBe("argument --enable-fips-image: ignored explicit argument 'yes'");
  });

  it('treats negative numbers as values and a word starting with - as an option', () => {
    expect(parse(['-g', 'r', '-n', 'a', '-c', '-1']).values.nodeCount).toBe(-1);
    expect(usageError(['-g', '-n', 'a']).message).toBe('argument --resource-group/-g: expected one argument');
  });

  it('answers --help without checking required arguments', () => {
    expect(parse(['--help']).help).toBe(true);
    expect(parse(['-h']).help).toBe(true);
  });
});

describe('difflib-style suggestions', () => {
  it('rates like difflib.SequenceMatcher.ratio', () => {
    expect(similarity('abcd', 'bcde')).toBeCloseTo(0.75);
    expect(similarity('--enable-utcm', '--enable-vtpm')).toBeCloseTo(22 / 26);
    expect(similarity('', '')).toBe(1);
  });
  it('orders close matches best first and drops those under the cutoff', () => {
    expect(closeMatches('lst', ['list', 'show', 'delete'], 3, 0.7)).toEqual(['list']);
    expect(closeMatches('tabel', ['json', 'table', 'tsv'], 1, 0.7)).toEqual(['table']);
    expect(closeMatches('zzz', ['json', 'table'], 3, 0.6)).toEqual([]);
  });
});

describe('the command table', () => {
  it('lists its first words in top-level.ts (the fast start path of main.ts)', () => {
    expect([...new Set(AZ_COMMANDS.map((c) => c.path.split(' ')[0]!))].sort()).toEqual([...AZ_TOP_LEVEL].sort());
  });

  it('has every command the seeds use, with the flags az has today', () => {
    const byPath = new Map(AZ_COMMANDS.map((c) => [c.path, c]));
    const has = (path: string, ...options: string[]) => {
      const spec = byPath.get(path);
      expect(spec, path).toBeDefined();
      const all = commandArgs(spec!).flatMap((a) => a.options);
      for (const o of options) expect(all, `${path} ${o}`).toContain(o);
    };
    has('aks create', '--enable-fips-image', '--enable-secure-boot', '--enable-vtpm', '--message-of-the-day', '--generate-ssh-keys', '--assign-identity', '--enable-azure-keyvault-kms', '--azure-keyvault-kms-key-id', '--azure-keyvault-kms-key-vault-network-access', '--azure-keyvault-kms-key-vault-resource-id', '--node-count', '--name', '--gpu-driver');
    has('aks update', '--enable-azure-keyvault-kms', '--disable-azure-keyvault-kms', '--azure-keyvault-kms-key-id');
    has('aks nodepool add', '--enable-fips-image', '--os-type', '--enable-vtpm', '--enable-secure-boot', '--message-of-the-day', '--node-count', '--gpu-driver');
    has('aks nodepool update', '--enable-fips-image', '--disable-fips-image', '--enable-secure-boot', '--disable-secure-boot', '--enable-vtpm', '--disable-vtpm');
    has('aks upgrade', '--kubernetes-version');
    has('aks get-credentials', '--resource-group', '--name');
    has('keyvault create', '--enable-rbac-authorization', '--public-network-access');
    has('keyvault update', '--public-network-access');
    has('keyvault set-policy', '--key-permissions', '--object-id');
    has('keyvault key create', '--vault-name');
    has('keyvault key show', '--vault-name');
    has('identity create', '--name');
    has('role assignment create', '--role', '--assignee-object-id', '--assignee-principal-type', '--scope');
    has('ad signed-in-user show');
    has('feature register', '--namespace', '--name');
    has('feature show', '--namespace', '--name');
    has('provider register', '--namespace');
    for (const spec of AZ_COMMANDS) {
      const options = commandArgs(spec).flatMap((a) => a.options);
      expect(new Set(options).size, `${spec.path} declares an option twice`).toBe(options.length);
    }
  });
});
