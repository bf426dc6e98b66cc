/**
 * Issue 6's commands:
 *   aksemu kms-plugin --key-id KID --listen-addr unix:///path [--healthz-port N]   the KMS plugin as a process
 *   aksemu aks encryption status -g RG -n NAME                                      secrets at rest, by key
 *   aksemu aks encryption migrate -g RG -n NAME                                     server-side re-encryption
 * The `aks encryption` commands are thin clients of the instance's `/_aksemu/encryption` API (they will fold into
 * the az-compatible CLI framework as they are).
 */
import type { Command } from 'commander';
import { KeyIdError } from '../../kms/key-id.js';
import { runStandalonePlugin } from '../../kms/standalone.js';
import { UsageError } from '../errors.js';

export function registerKms(program: Command): void {
  program
    .command('kms-plugin')
    .description('run the Azure Key Vault KMS plugin (gRPC KMS v1beta1 + v2 on a unix socket) for a kube-apiserver')
    .option('--key-id <kid>', 'the versioned Key Vault key id, https://<vault>.vault.azure.net/keys/<name>/<version>')
    .option('--keyvault-name <name>', "the vault (Azure's plugin's flag; with --key-name and --key-version)")
    .option('--key-name <name>', 'the key name')
    .option('--key-version <version>', 'the key version')
    .requiredOption('--listen-addr <addr>', 'unix socket to serve, e.g. unix:///opt/azurekms.socket', 'unix:///opt/azurekms.socket')
    .option('--healthz-port <n>', 'serve the health check on this port (127.0.0.1)')
    .option('--healthz-path <path>', 'health check path', '/healthz')
    .option('-v, --verbose', 'log every plugin call to stderr')
    .action(async (opts: { keyId?: string; keyvaultName?: string; keyName?: string; keyVersion?: string; listenAddr: string; healthzPort?: string; healthzPath: string; verbose?: boolean }) => {
      let healthzPort: number | undefined;
      if (opts.healthzPort !== undefined) {
        healthzPort = Number(opts.healthzPort);
        if (!Number.isInteger(healthzPort) || healthzPort < 0 || healthzPort > 65535) throw new UsageError(`--healthz-port must be an integer from 0 to 65535, not '${opts.healthzPort}'`);
      }
      let running: Awaited<ReturnType<typeof runStandalonePlugin>>;
      try {
        running = await runStandalonePlugin({
          ...(opts.keyId ? { keyId: opts.keyId } : {}),
          ...(opts.keyvaultName ? { keyvaultName: opts.keyvaultName } : {}),
          ...(opts.keyName ? { keyName: opts.keyName } : {}),
          ...(opts.keyVersion ? { keyVersion: opts.keyVersion } : {}),
          listenAddr: opts.listenAddr,
          ...(healthzPort !== undefined ? { healthzPort, healthzPath: opts.healthzPath } : {}),
          ...(opts.verbose ? { log: (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`) } : {}),
        });
      } catch (err) {
        if (err instanceof KeyIdError || /^give --key-id/.test((err as Error).message)) throw new UsageError((err as Error).message);
        throw err;
      }
      process.stdout.write(
        `kms-plugin ready ${opts.listenAddr} key_id=${running.plugin.keyId}${running.healthzPort !== undefined ? ` healthz=http://127.0.0.1:${running.healthzPort}${opts.healthzPath}` : ''}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await running.stop();
    });
}
