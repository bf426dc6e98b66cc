/** The `aksemu` command. */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { AZ_TOP_LEVEL } from './az/top-level.js';
import { CommandError, UsageError } from './errors.js';

type Registrar = (program: Command) => Promise<void>;

/**
 * aksemu's own commands and those other modules add, by the command paths each registrar adds: a top-level word
 * (`node`) or a command inside an az group (`keyvault audit`). Given the arguments, only the registrars they can
 * reach are loaded (`aksemu node exec ...` does not load the emulator `start` needs, `aksemu aks show` loads
 * the az tree alone); help and unknown words load them all. Registrars that add to the same word run in this
 * order (a group's creator first).
 */
const COMMANDS: Array<{ paths: string[][]; register: Registrar }> = [
  { paths: [['start']], register: async (p) => (await import('./commands/start.js')).registerStart(p) },
  { paths: [['env']], register: async (p) => (await import('./commands/env.js')).registerEnv(p) },
  { paths: [['store']], register: async (p) => (await import('./commands/store.js')).registerStore(p) },
  { paths: [['node']], register: async (p) => (await import('./commands/node.js')).registerNode(p) },
  { paths: [['az-setup']], register: async (p) => (await import('./commands/az-setup.js')).registerAzSetup(p) },
  { paths: [['ui']], register: async (p) => (await import('./commands/ui.js')).registerUi(p) },
  { paths: [['keyvault', 'audit']], register: async (p) => (await import('./commands/keyvault-audit.js')).registerKeyVaultAudit(p) },
  { paths: [['node'], ['alerts']], register: async (p) => (await import('./commands/trustedlaunch.js')).registerTrustedLaunch(p) },
  { paths: [['kms-plugin'], ['aks', 'encryption']], register: async (p) => (await import('./commands/kms.js')).registerKms(p) },
];

/** Whether the arguments can reach a command path (its group's help lists it: `aksemu keyvault -h`). */
function reaches(path: string[], argv: string[]): boolean {
  const [first, second] = [argv[2], argv[3]];
  if (first !== path[0]) return false;
  return path.length === 1 || second === undefined || second === path[1] || second.startsWith('-') || second === 'help';
}

/** The registrars to load for these arguments. */
export function registrarsFor(argv: string[]): typeof COMMANDS {
  const first = argv[2];
  if (first === '--version' || first === '-V') return [];
  const known = first !== undefined && (AZ_TOP_LEVEL.includes(first) || COMMANDS.some((c) => c.paths.some((p) => p[0] === first)));
  return known ? COMMANDS.filter((c) => c.paths.some((p) => reaches(p, argv))) : COMMANDS;
}

const insideAzGroup = (c: (typeof COMMANDS)[number]) => c.paths.some((p) => AZ_TOP_LEVEL.includes(p[0]!));

/** The program, with what the arguments can reach (all of it without arguments). */
export async function buildProgram(argv?: string[]): Promise<Command> {
  const program = new Command('aksemu')
    .description('A local emulator of the Azure Kubernetes Service security plane')
    .version(VERSION)
    .showHelpAfterError()
    .enablePositionalOptions()
    .exitOverride();
  const first = argv?.[2];
  if (first === '--version' || first === '-V') return program;
  const load = argv ? registrarsFor(argv) : COMMANDS;
  // aksemu's own words first (help lists them first), then the az groups, then what goes inside those groups.
  for (const c of load) if (!insideAzGroup(c)) await c.register(program);
  // A word of aksemu's own (`start`, `env`, `node`, ...) reaches no az group: the az tree is not loaded for it
  // (for `start`, a good part of a cold start).
  const ownWord = first !== undefined && !AZ_TOP_LEVEL.includes(first) && COMMANDS.some((c) => c.paths.some((p) => p.length === 1 && p[0] === first));
  const az = ownWord ? undefined : await import('./az/index.js');
  az?.registerAzCommands(program);
  for (const c of load) if (insideAzGroup(c)) await c.register(program);
  az?.restoreCommanderHelp(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // Output piped into `head` and the like: stop quietly when the reader goes away.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(process.exitCode ?? 0);
  });
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
