/** The `aksemu` command. */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { AZ_TOP_LEVEL } from './az/top-level.js';
import { CommandError, UsageError } from './errors.js';

/**
 * The program. Given the arguments, it loads only what they can reach: an az-compatible command (`aksemu aks
 * ...`) needs the az command tree alone, which keeps a scripted run of many commands fast.
 */
export async function buildProgram(argv?: string[]): Promise<Command> {
  const program = new Command('aksemu')
    .description('A local emulator of the Azure Kubernetes Service security plane')
    .version(VERSION)
    .showHelpAfterError()
    .enablePositionalOptions()
    .exitOverride();
  const first = argv?.[2];
  const azOnly = first !== undefined && AZ_TOP_LEVEL.includes(first);
  if (!azOnly) {
    const [{ registerStart }, { registerEnv }, { registerStore }, { registerNode }, { registerAzSetup }] = await Promise.all([
      import('./commands/start.js'),
      import('./commands/env.js'),
      import('./commands/store.js'),
      import('./commands/node.js'),
      import('./commands/az-setup.js'),
    ]);
    registerStart(program);
    registerEnv(program);
    registerStore(program);
    registerNode(program);
    registerAzSetup(program);
  }
  const az = await import('./az/index.js');
  az.registerAzCommands(program);
  // `keyvault audit` (the vault audit log, read from the store) sits beside the az keyvault commands; it is loaded
  // only when it can be reached, as it opens the store.
  const second = argv?.[3];
  if (!azOnly || (first === 'keyvault' && (second === undefined || second === 'audit' || second.startsWith('-')))) {
    (await import('./commands/keyvault-audit.js')).registerKeyVaultAudit(program);
  }
  az.restoreCommanderHelp(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(argv);
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
