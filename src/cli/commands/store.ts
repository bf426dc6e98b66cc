/**
 * `aksemu store list PREFIX` and `aksemu store get KEY --raw`: what is at rest, read straight from a running (or
 * stopped) instance's store, like `etcdctl get --prefix --keys-only` and `etcdctl get --print-value-only`.
 */
import type { Command } from 'commander';
import { readInstanceInfo, resolveDataDir } from '../../config/data-dir.js';
import { openStore, parseStoreSpec } from '../../store/open-store.js';
import { SqliteStore } from '../../store/sqlite-store.js';
import type { Store } from '../../store/store.js';
import { CommandError } from '../errors.js';

async function openInstanceStore(dataDirFlag: string | undefined): Promise<Store> {
  const dataDir = resolveDataDir(dataDirFlag);
  const info = readInstanceInfo(dataDir);
  if (!info) throw new CommandError(`no aksemu instance has been started with the data directory ${dataDir}`);
  const spec = parseStoreSpec(info.store, dataDir);
  // SQLite is opened read-only: the running emulator stays its only writer.
  return spec.kind === 'sqlite' ? new SqliteStore(spec.path, { readonly: true }) : openStore(info.store, dataDir);
}

export function registerStore(program: Command): void {
  const store = program.command('store').description("read the instance's store (what is at rest)");
  store
    .command('list')
    .argument('[prefix]', 'key prefix', '/')
    .option('--data-dir <dir>', 'instance data directory')
    .description('print the keys under a prefix, one a line')
    .action(async (prefix: string, opts: { dataDir?: string }) => {
      const s = await openInstanceStore(opts.dataDir);
      try {
        let after: string | undefined;
        for (;;) {
          const page = await s.range(prefix, { limit: 1000, keysOnly: true, ...(after ? { after } : {}) });
          for (const kv of page.items) process.stdout.write(`${kv.key}\n`);
          if (!page.more) break;
          after = page.items[page.items.length - 1]!.key;
        }
      } finally {
        await s.close();
      }
    });
  store
    .command('get')
    .argument('<key>', 'the key')
    .option('--raw', 'write the exact stored bytes to stdout (default: the same)')
    .option('--data-dir <dir>', 'instance data directory')
    .description('write the value stored under a key to stdout, byte for byte')
    .action(async (key: string, opts: { dataDir?: string }) => {
      const s = await openInstanceStore(opts.dataDir);
      try {
        const kv = await s.get(key);
        if (!kv) throw new CommandError(`key not found: ${key}`);
        await new Promise<void>((resolve, reject) => process.stdout.write(kv.value, (err) => (err ? reject(err) : resolve())));
      } finally {
        await s.close();
      }
    });
}
