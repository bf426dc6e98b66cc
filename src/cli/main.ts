/** The `aksemu` command. */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { registerAksGetCredentials } from './commands/aks-get-credentials.js';
import { registerEnv } from './commands/env.js';
import { registerNode } from './commands/node.js';
import { registerStart } from './commands/start.js';
import { registerStore } from './commands/store.js';
import { registerKeyVaultAudit } from './commands/keyvault-audit.js';
import { registerKms } from './commands/kms.js';
import { CommandError, UsageError } from './errors.js';

export function buildProgram(): Command {
  const program = new Command('aksemu')
    .description('A local emulator of the Azure Kubernetes Service security plane')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();
  registerStart(program);
  registerEnv(program);
  registerStore(program);
  registerAksGetCredentials(program);
  registerKeyVaultAudit(program);
  registerNode(program);
  registerKms(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
      return;
    }
    if (err instanceof UsageError || err instanceof CommandError) {
      process.stderr.write(`ERROR: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    // Operational failures (port in use, instance already running...) are reported without a stack trace;
    // AKSEMU_DEBUG=1 shows it.
    const e = err as Error;
    process.stderr.write(`ERROR: ${process.env.AKSEMU_DEBUG ? (e?.stack ?? e) : (e?.message ?? e)}\n`);
    process.exitCode = 1;
  }
}
