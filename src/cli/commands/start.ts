/** `aksemu start`: runs the emulator in the foreground and prints one ready line on stdout. */
import type { Command } from 'commander';
import { resolveDataDir } from '../../config/data-dir.js';
import { isLoopbackHost } from '../../frontdoor/hosts.js';
import { Speed } from '../../runtime/clock.js';
import { UsageError } from '../errors.js';

/** Kept in step with emulator.ts; the emulator itself is loaded only by `start`, so other commands stay fast. */
const DEFAULT_PORT = 10443;

interface StartOptions {
  dataDir?: string;
  port: string;
  host: string;
  store: string;
  now?: string;
  speed: string;
  logLevel: string;
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('start the emulator (HTTPS and the CONNECT proxy on one port, loopback by default)')
    .option('--data-dir <dir>', 'instance data directory (default: $AKSEMU_DATA_DIR or ~/.local/share/aksemu)')
    .option('--port <n>', 'port to listen on (0 picks a free one)', String(DEFAULT_PORT))
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--store <spec>', "'sqlite' (embedded), 'sqlite:/path.db' or 'etcd://host:port[,host:port...][/prefix]'", 'sqlite')
    .option('--now <iso-8601>', "start the emulated clock at this time (e.g. 2027-03-18T00:00:00Z)")
    .option('--speed <speed>', "'instant' or 'realistic' operation durations", 'instant')
    .option('--log-level <level>', 'log level on stderr: fatal, error, warn, info, debug, trace', 'warn')
    .action(async (opts: StartOptions) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, not '${opts.port}'`);
      let now: Date | undefined;
      if (opts.now !== undefined) {
        now = new Date(opts.now);
        if (Number.isNaN(now.getTime())) throw new UsageError(`--now must be an ISO-8601 date-time, not '${opts.now}'`);
      }
      let speed: Speed;
      try {
        speed = Speed.parse(opts.speed);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const { parseStoreSpec } = await import('../../store/open-store.js');
      const dataDir = resolveDataDir(opts.dataDir);
      try {
        parseStoreSpec(opts.store, dataDir);
      } catch (err) {
        throw new UsageError(`--store: ${(err as Error).message}`);
      }
      const { startEmulator } = await import('../../emulator.js');
      const emulator = await startEmulator({
        dataDir,
        host: opts.host,
        port,
        store: opts.store,
        speed: speed.name,
        logLevel: opts.logLevel,
        ...(now ? { now } : {}),
      });
      // The handlers are in place before anyone learns the instance is ready: a SIGTERM sent at once must stop it
      // cleanly (without a listener, the kernel's default action would end the process mid-write).
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        await emulator.close();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop());
      process.on('SIGTERM', () => void stop());
      process.stdout.write(`aksemu ready ${emulator.url}\n`);
      // The emulator is a local test tool: an address other machines can reach should never be a silent choice.
      if (!isLoopbackHost(opts.host)) {
        process.stderr.write(
          `aksemu: WARNING: listening on ${opts.host}, which is not a loopback address: other machines can reach this emulator's ` +
            `APIs and its proxy. Use --host 127.0.0.1 unless that is what you want.\n`,
        );
      }
    });
}
