/**
 * Errors and exit codes of the az-compatible commands, end to end through the built `aksemu` binary
 * (unknown flags, missing required arguments, invalid enum values and bad --query expressions give
 * az-style errors and exit code 2, without a stack trace), and compared with Debian's az 2.45 where az has the
 * same command and argument.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from '../../testkit/emulator.js';
import { describeWith } from '../../testkit/optional.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const empty = mkdtempSync(join(tmpdir(), 'aksemu-cli-noinstance-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: empty, AKSEMU_DATA_DIR: join(empty, 'none'), ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const aksemu = (...args: string[]) => run(process.execPath, [CLI, ...args]);

function expectNoStack(r: Run): void {
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stderr).not.toMatch(/Traceback|TypeError|ReferenceError/);
}

/** The ERROR line and az's recommendation lines: what comes before the examples block. */
function head(stderr: string): string {
  return stderr.split('\n\n')[0]!.trimEnd();
}

describe('usage errors: az messages, exit code 2, no stack trace', () => {
  it('SPEC T-1: an unknown flag gets "did you mean" with the real flag', async () => {
    const r = await aksemu('aks', 'create', '--name', 'myAKSCluster', '--resource-group', 'myResourceGroup', '--node-count', '1', '--enable-secure-boot', '--enable-utcm', '--generate-ssh-keys');
    expect(r.code).toBe(2);
    expect(head(r.stderr)).toBe("ERROR: unrecognized arguments: --enable-utcm\nDid you mean '--enable-vtpm' ?");
    expect(r.stderr).toContain('https://aka.ms/cli_ref');
    expect(r.stdout).toBe('');
    expectNoStack(r);
  });

  it('missing required arguments are named', async () => {
    const r = await aksemu('aks', 'nodepool', 'add', '-g', 'myResourceGroup', '--cluster-name', 'c');
    expect(r.code).toBe(2);
    expect(head(r.stderr)).toBe('ERROR: the following arguments are required: --nodepool-name/--name/-n');
    expect(r.stderr).toContain('Examples from AI knowledge base:');
    expectNoStack(r);
  });

  it('an invalid enum value lists the allowed ones', async () => {
    const r = await aksemu('aks', 'update', '-g', 'rg', '-n', 'c', '--azure-keyvault-kms-key-vault-network-access', 'Publik');
    expect(r.code).toBe(2);
    expect(head(r.stderr)).toBe("ERROR: aksemu aks update: 'Publik' is not a valid value for '--azure-keyvault-kms-key-vault-network-access'. Allowed values: Public, Private.\nDid you mean 'Public' ?");
    expectNoStack(r);
  });

  it('a --query that does not parse', async () => {
    const r = await aksemu('aks', 'list', '--query', '[].{Name:name');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("ERROR: argument --query: invalid jmespath_type value: '[].{Name:name'\nTo learn more about --query, please visit: 'https://docs.microsoft.com/cli/azure/query-azure-cli'\n");
    expectNoStack(r);
  });

  it('a misspelled command word', async () => {
    const r = await aksemu('aks', 'nodepool', 'ad');
    expect(r.code).toBe(2);
    expect(head(r.stderr)).toBe("ERROR: 'ad' is misspelled or not recognized by the system.\nDid you mean 'add' ?");
  });

  it('a group alone prints its help and succeeds', async () => {
    const r = await aksemu('aks', 'nodepool');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/az aks nodepool : /);
    expect(r.stdout).toMatch(/^\s+add\s+: Add a node pool/m);
  });

  it('--help on a command prints its arguments', async () => {
    const r = await aksemu('aks', 'nodepool', 'update', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--disable-fips-image/);
    expect(r.stdout).toMatch(/--enable-vtpm/);
  });
});

describe('validation errors in the command: exit code 1, before any request', () => {
  it('KMS flags that must go together (az\'s message)', async () => {
    const r = await aksemu('aks', 'create', '-g', 'rg', '-n', 'c', '--no-ssh-key', '--enable-azure-keyvault-kms');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('ERROR: You must set "--enable-azure-keyvault-kms" and "--azure-keyvault-kms-key-id" at the same time.\n');
  });

  it('the Key Vault key id validator', async () => {
    const r = await aksemu('aks', 'update', '-g', 'rg', '-n', 'c', '--enable-azure-keyvault-kms', '--azure-keyvault-kms-key-id', 'https://myvault.vault.azure.net/keys/k', '--azure-keyvault-kms-key-vault-network-access', 'Public');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ERROR: --azure-keyvault-kms-key-id is not a valid Key Vault key ID\. See https:\/\/learn\.microsoft\.com\//);
  });

  it('Private network access needs the vault resource id; Public must not have one', async () => {
    const kid = 'https://myvault.vault.azure.net/keys/k/0123456789abcdef0123456789abcdef';
    const priv = await aksemu('aks', 'update', '-g', 'rg', '-n', 'c', '--enable-azure-keyvault-kms', '--azure-keyvault-kms-key-id', kid, '--azure-keyvault-kms-key-vault-network-access', 'Private');
    expect(priv.code).toBe(1);
    expect(priv.stderr).toBe('ERROR: "--azure-keyvault-kms-key-vault-resource-id" is required when "--azure-keyvault-kms-key-vault-network-access" is Private.\n');
    const vaultId = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/myvault';
    const pub = await aksemu('aks', 'update', '-g', 'rg', '-n', 'c', '--enable-azure-keyvault-kms', '--azure-keyvault-kms-key-id', kid, '--azure-keyvault-kms-key-vault-network-access', 'Public', '--azure-keyvault-kms-key-vault-resource-id', vaultId);
    expect(pub.code).toBe(1);
    expect(pub.stderr).toBe('ERROR: "--azure-keyvault-kms-key-vault-resource-id" must be empty if "--azure-keyvault-kms-key-vault-network-access" is "Public".\n');
    const both = await aksemu('aks', 'update', '-g', 'rg', '-n', 'c', '--enable-azure-keyvault-kms', '--disable-azure-keyvault-kms', '--azure-keyvault-kms-key-id', kid, '--azure-keyvault-kms-key-vault-network-access', 'Public');
    expect(both.stderr).toBe('ERROR: Cannot specify --enable-azure-keyvault-kms and --disable-azure-keyvault-kms at the same time.\n');
  });

  it('mutually exclusive FIPS and Trusted Launch switches', async () => {
    const fips = await aksemu('aks', 'nodepool', 'update', '-g', 'rg', '--cluster-name', 'c', '-n', 'np', '--enable-fips-image', '--disable-fips-image');
    expect(fips.code).toBe(1);
    expect(fips.stderr).toBe('ERROR: Cannot specify "--enable-fips-image" and "--disable-fips-image" at the same time\n');
    const sb = await aksemu('aks', 'nodepool', 'update', '-g', 'rg', '--cluster-name', 'c', '-n', 'np', '--enable-secure-boot', '--disable-secure-boot');
    expect(sb.stderr).toBe('ERROR: Cannot specify "--enable-secure-boot" and "--disable-secure-boot" at the same time\n');
  });

  it('--assign-identity must be a resource id; --message-of-the-day a readable file, Linux only', async () => {
    const id = await aksemu('aks', 'create', '-g', 'rg', '-n', 'c', '--no-ssh-key', '--assign-identity', 'MyIdentity');
    expect(id.code).toBe(1);
    expect(id.stderr).toBe('ERROR: --assign-identity is not a valid Azure resource ID.\n');
    const motd = await aksemu('aks', 'nodepool', 'add', '-g', 'rg', '--cluster-name', 'c', '-n', 'np', '--message-of-the-day', '/no/such/file');
    expect(motd.stderr).toBe('ERROR: /no/such/file is not valid file, or not accessable.\n');
    const win = await aksemu('aks', 'nodepool', 'add', '-g', 'rg', '--cluster-name', 'c', '-n', 'np', '--os-type', 'Windows', '--message-of-the-day', '/etc/hostname');
    expect(win.stderr).toBe('ERROR: --message-of-the-day can only be set for linux nodepools\n');
  });

  it('no instance: a clear message, exit 1', async () => {
    const r = await aksemu('group', 'list');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ERROR: No aksemu instance has been started with the data directory .*none\. Start one with 'aksemu start/);
    expectNoStack(r);
  });
});

describeWith(['az'], 'usage errors compared with Debian az 2.45', () => {
  const azConfig = mkdtempSync(join(tmpdir(), 'aksemu-cli-azcfg-'));
  afterAll(() => rmSync(azConfig, { recursive: true, force: true }));
  const az = (...args: string[]) => run('az', args, { AZURE_CONFIG_DIR: azConfig, AZURE_CORE_COLLECT_TELEMETRY: 'false', AZURE_CORE_NO_COLOR: 'true' });
  const cases: string[][] = [
    ['group', 'list', '--foo', 'bar'],
    ['group', 'create', '-n', 'x'],
    ['group', 'list', '-o', 'tabel'],
    ['group', 'list', '--query', '[?'],
    ['group', 'lst'],
    ['aks', 'create', '-g', 'rg', '-n', 'c', '--node-count', 'x'],
    ['aks', 'create', '-g', 'rg', '-n', 'c', '--network-plugin', 'azur'],
    ['aks', 'create', '-g', 'rg', '-n', 'c', '--enable-fips-imagex'],
    ['aks', 'nodepool', 'add', '-g', 'rg', '--cluster-name', 'c'],
    ['keyvault', 'set-policy', '-n', 'v', '--key-permissions', 'decrypt', 'encrypt', 'frobnicate', '--object-id', 'x'],
  ];
  for (const args of cases) {
    it(`aksemu ${args.join(' ')}`, async () => {
      const [ours, theirs] = await Promise.all([aksemu(...args), az(...args)]);
      expect(ours.code).toBe(theirs.code);
      // SPEC T-1 asks for a hint on unknown flags, which az 2.45 does not print: drop it before comparing.
      const oursHead = head(ours.stderr).replace(/\nDid you mean '--[^']*' \?/g, (m) => (ours.stderr.includes('unrecognized arguments') ? '' : m));
      expect(oursHead).toBe(head(theirs.stderr).replace(/\baz (group|aks|keyvault)/g, 'aksemu $1'));
    });
  }
});
