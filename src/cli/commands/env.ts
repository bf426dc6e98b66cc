/**
 * `aksemu env`: the shell lines that point the real az CLI, the Azure SDKs and kubectl at an instance
 * (`eval "$(aksemu env)"`): the default service principal (AZURE_CLIENT_ID/SECRET, what the SDKs'
 * EnvironmentCredential and `az login --service-principal` use) and the default user (AKSEMU_USER/PASSWORD, what a
 * person signs in with: `az login -u "$AKSEMU_USER" -p "$AKSEMU_PASSWORD"`). Both secrets are derived from the
 * instance's master key, never stored.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { paths, readInstanceInfo, resolveDataDir } from '../../config/data-dir.js';
import { defaultPrincipalSecret, defaultUserPassword } from '../../secrets/default-credentials.js';
import { Sealer } from '../../secrets/sealer.js';
import { identityEnvironment, IdentityNotFoundError } from '../../providers/managedidentity/identity-env.js';
import { CommandError, UsageError } from '../errors.js';

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The environment for a data directory's instance, as name → value (also used by `az-setup` and the tests). */
export function instanceEnvironment(dataDir: string, portOverride?: number): Record<string, string> {
  const info = readInstanceInfo(dataDir);
  if (!info) throw new CommandError(`no aksemu instance has been started with the data directory ${dataDir}; run 'aksemu start --data-dir ${dataDir}' first`);
  const port = portOverride ?? info.port;
  const proxyHost = info.host === '0.0.0.0' || info.host === '::' ? '127.0.0.1' : info.host.includes(':') ? `[${info.host}]` : info.host;
  const proxy = `http://${proxyHost}:${port}`;
  const sealer = new Sealer(readFileSync(paths.masterKey(dataDir)));
  const ca = paths.caCert(dataDir);
  return {
    HTTPS_PROXY: proxy,
    https_proxy: proxy,
    NO_PROXY: 'localhost,127.0.0.1,::1',
    no_proxy: 'localhost,127.0.0.1,::1',
    REQUESTS_CA_BUNDLE: ca,
    NODE_EXTRA_CA_CERTS: ca,
    AZURE_CONFIG_DIR: paths.azureConfig(dataDir),
    AZURE_TENANT_ID: info.tenantId,
    AZURE_SUBSCRIPTION_ID: info.subscriptionId,
    AZURE_CLIENT_ID: info.defaultPrincipal.appId,
    AZURE_CLIENT_SECRET: defaultPrincipalSecret(sealer, info.defaultPrincipal.appId),
    // An instance.json written by an aksemu before the default user existed has none (until its next start).
    ...(info.defaultUser ? { AKSEMU_USER: info.defaultUser.userPrincipalName, AKSEMU_PASSWORD: defaultUserPassword(sealer, info.defaultUser.objectId) } : {}),
    AKSEMU_DATA_DIR: dataDir,
    AKSEMU_URL: `https://${proxyHost}:${port}`,
  };
}

export function registerEnv(program: Command): void {
  program
    .command('env')
    .description('print export lines that point az, the Azure SDKs and kubectl at an instance (eval "$(aksemu env)")')
    .option('--data-dir <dir>', 'instance data directory (default: $AKSEMU_DATA_DIR or ~/.local/share/aksemu)')
    .option('--port <n>', "the instance's port, if not the one it last recorded")
    .option('--identity <id-or-name>', 'act as a user-assigned managed identity (IDENTITY_ENDPOINT/IDENTITY_HEADER) instead of the default principal')
    .action(async (opts: { dataDir?: string; port?: string; identity?: string }) => {
      let port: number | undefined;
      if (opts.port !== undefined) {
        port = Number(opts.port);
        if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be an integer from 1 to 65535, not '${opts.port}'`);
      }
      const dataDir = resolveDataDir(opts.dataDir);
      const env = instanceEnvironment(dataDir, port);
      if (opts.identity !== undefined) {
        // The managed identity's own credentials replace the default principal's secret.
        delete env.AZURE_CLIENT_SECRET;
        try {
          Object.assign(env, await identityEnvironment(dataDir, opts.identity, env.AKSEMU_URL!));
        } catch (err) {
          if (err instanceof IdentityNotFoundError) throw new CommandError(err.message);
          throw err;
        }
        process.stdout.write('unset AZURE_CLIENT_SECRET\n');
      }
      for (const [name, value] of Object.entries(env)) process.stdout.write(`export ${name}=${shellQuote(value)}\n`);
    });
}
