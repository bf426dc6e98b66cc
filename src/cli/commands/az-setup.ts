/**
 * `aksemu az-setup`: one step to point the real az CLI at an instance. It prepares the instance's isolated
 * AZURE_CONFIG_DIR (<data-dir>/azure: telemetry, surveys, version checks and dynamic extension installs off, so az
 * makes no calls outside aksemu), signs az in there as the instance's default user (`az login -u`, as a person
 * does; the SDK settings keep the service principal), checks that
 * `az account show` answers with the instance's subscription, and prints the export lines
 * (`eval "$(aksemu az-setup)"`) after which plain `az ...` works. It also writes a CA bundle with the system's
 * roots plus aksemu's (for tools such as Terraform that trust one bundle file for every host).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { paths, resolveDataDir, writeFileAtomic } from '../../config/data-dir.js';
import { CommandError, UsageError } from '../errors.js';
import { instanceEnvironment } from './env.js';

const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];

/**
 * az's settings for a config dir that talks to aksemu only (INI, as `az config set` writes it). No MSAL HTTP
 * cache: the current az pickles classes into msal_http_cache.bin that Debian's az 2.45 cannot unpickle, so one
 * config dir used by both (a user with both on PATH) broke 2.45 for good; the cache only spares Entra ID discovery
 * calls, which aksemu answers locally.
 */
export const AZ_CONFIG = `[core]
collect_telemetry = false
survey_message = false
first_run = false
no_color = true
output = json
only_show_errors = false
use_msal_http_cache = false

[auto-upgrade]
enable = no

[extension]
use_dynamic_install = no

[cloud]
name = AzureCloud
`;

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** The system roots plus aksemu's CA, in <data-dir>/ca/bundle.pem. */
export function writeCaBundle(dataDir: string): string {
  const system = SYSTEM_BUNDLES.find((f) => existsSync(f));
  const bundle = join(dataDir, 'ca', 'bundle.pem');
  const parts = [...(system ? [readFileSync(system, 'utf8').trimEnd()] : []), readFileSync(paths.caCert(dataDir), 'utf8').trimEnd()];
  writeFileAtomic(bundle, `${parts.join('\n')}\n`, 0o644);
  return bundle;
}

export interface AzSetupResult {
  env: Record<string, string>;
  account: { id: string; tenantId: string; user: { name: string; type: string } };
}

/** Prepares and signs in the instance's AZURE_CONFIG_DIR; resolves with the environment for az. */
export async function setupAz(dataDir: string, opts: { port?: number; login?: boolean } = {}): Promise<AzSetupResult> {
  const env = instanceEnvironment(dataDir, opts.port);
  const configDir = env.AZURE_CONFIG_DIR!;
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(configDir, 'config'), AZ_CONFIG, { mode: 0o600 });
  const azEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LANG: process.env.LANG ?? 'C.UTF-8',
    ...env,
  };
  if (opts.login !== false) {
    // The default user when the instance has one (an instance started by an older aksemu has only the principal).
    const args = env.AKSEMU_USER
      ? ['login', '-u', env.AKSEMU_USER, '-p', env.AKSEMU_PASSWORD!, '--tenant', env.AZURE_TENANT_ID!, '-o', 'none']
      : ['login', '--service-principal', '-u', env.AZURE_CLIENT_ID!, '-p', env.AZURE_CLIENT_SECRET!, '--tenant', env.AZURE_TENANT_ID!, '-o', 'none'];
    const login = await run('az', args, azEnv);
    if (login.code === 127) throw new CommandError("the az CLI is not installed (or not on PATH); the SDK settings of 'aksemu env' work without it");
    if (login.code !== 0) throw new CommandError(`az login against the instance failed:\n${login.stderr.trim()}`);
  }
  const show = await run('az', ['account', 'show', '-o', 'json'], azEnv);
  if (show.code !== 0) throw new CommandError(`az account show failed after setup:\n${show.stderr.trim()}`);
  const account = JSON.parse(show.stdout) as AzSetupResult['account'];
  if (account.id !== env.AZURE_SUBSCRIPTION_ID) {
    throw new CommandError(`az is signed in to subscription ${account.id}, not the instance's ${env.AZURE_SUBSCRIPTION_ID}`);
  }
  return { env, account };
}

export function registerAzSetup(program: Command): void {
  program
    .command('az-setup')
    .description('prepare an isolated AZURE_CONFIG_DIR signed in to the instance, so the real az works in one step: eval "$(aksemu az-setup)"')
    .option('--data-dir <dir>', 'instance data directory (default: $AKSEMU_DATA_DIR or ~/.local/share/aksemu)')
    .option('--port <n>', "the instance's port, if not the one it last recorded")
    .option('--terraform', "also print Terraform's azurerm settings (ARM_*) and a CA bundle for it")
    .action(async (opts: { dataDir?: string; port?: string; terraform?: boolean }) => {
      let port: number | undefined;
      if (opts.port !== undefined) {
        port = Number(opts.port);
        if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be an integer from 1 to 65535, not '${opts.port}'`);
      }
      const dataDir = resolveDataDir(opts.dataDir);
      const { env, account } = await setupAz(dataDir, port !== undefined ? { port } : {});
      const lines = { ...env };
      if (opts.terraform) {
        const bundle = writeCaBundle(dataDir);
        Object.assign(lines, {
          ARM_TENANT_ID: env.AZURE_TENANT_ID!,
          ARM_SUBSCRIPTION_ID: env.AZURE_SUBSCRIPTION_ID!,
          ARM_CLIENT_ID: env.AZURE_CLIENT_ID!,
          ARM_CLIENT_SECRET: env.AZURE_CLIENT_SECRET!,
          SSL_CERT_FILE: bundle,
        });
      }
      for (const [name, value] of Object.entries(lines)) process.stdout.write(`export ${name}=${shellQuote(value)}\n`);
      process.stderr.write(`az is signed in to aksemu (subscription ${account.id}, ${account.user.type === 'user' ? 'user' : 'principal'} ${account.user.name}) in ${env.AZURE_CONFIG_DIR}\n`);
    });
}
