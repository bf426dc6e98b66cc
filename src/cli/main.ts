/** The `aksemu` command. */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { AZ_TOP_LEVEL } from './az/top-level.js';
import { CommandError, UsageError } from './errors.js';

type Registrar = (program: Command) => Promise<void>;

/**
 * aksemu's own commands, by the top-level words they add. Given the arguments, only what they can reach is loaded
 * (`aksemu node exec ...` does not load the emulator that `start` needs); help, --version and unknown words load
 * them all. Entries that add to the same word run in this order.
 */
const COMMANDS: Array<{ words: string[]; register: Registrar }> = [
  { words: ['start'], register: async (p) => (await import('./commands/start.js')).registerStart(p) },
  { words: ['env'], register: async (p) => (await import('./commands/env.js')).registerEnv(p) },
  { words: ['store'], register: async (p) => (await import('./commands/store.js')).registerStore(p) },
  { words: ['node'], register: async (p) => (await import('./commands/node.js')).registerNode(p) },
  { words: ['az-setup'], register: async (p) => (await import('./commands/az-setup.js')).registerAzSetup(p) },
];

/**
 * Commands of other modules that sit inside an az command group (`aksemu keyvault audit`), by [group, command];
 * loaded only when the arguments can reach them (or help lists them).
 */
const AZ_GROUP_EXTENSIONS: Array<{ words: [string, string]; register: Registrar }> = [
  { words: ['keyvault', 'audit'], register: async (p) => (await import('./commands/keyvault-audit.js')).registerKeyVaultAudit(p) },
];

function reaches(words: [string, string], argv: string[]): boolean {
  const [first, second] = [argv[2], argv[3]];
  return first === words[0] && (second === undefined || second === words[1] || second.startsWith('-'));
}

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
  if (first === '--version' || first === '-V') return program;
  const own = COMMANDS.some((c) => c.words.includes(first ?? '')) ? COMMANDS.filter((c) => c.words.includes(first!)) : azOnly ? [] : COMMANDS;
  for (const c of own) await c.register(program);
  const az = await import('./az/index.js');
  az.registerAzCommands(program);
  for (const ext of AZ_GROUP_EXTENSIONS) if (own === COMMANDS || reaches(ext.words, argv ?? [])) await ext.register(program);
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
