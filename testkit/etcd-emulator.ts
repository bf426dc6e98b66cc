/** An in-process emulator whose store is a fresh one-member etcd: the common set-up of the etcd-backed tests. */
import type { EmulatorOptions } from '../src/emulator.js';
import { removeDataDir, startTestEmulator } from './emulator.js';
import { EtcdCluster } from './etcd.js';

export interface EtcdEmulator {
  etcd: EtcdCluster;
  emu: Awaited<ReturnType<typeof startTestEmulator>>;
  /** Stops the emulator, removes its data directory, then stops etcd. */
  close(): Promise<void>;
}

/** Starts etcd, then an emulator keeping its state under `prefix` there. */
export async function startEmulatorOnEtcd(prefix: string, opts: Partial<EmulatorOptions> = {}): Promise<EtcdEmulator> {
  const etcd = await EtcdCluster.start();
  try {
    const emu = await startTestEmulator({ ...opts, store: `etcd://${etcd.endpoints.join(',')}${prefix}` });
    return {
      etcd,
      emu,
      close: async () => {
        await emu.close();
        removeDataDir(emu.dataDir);
        await etcd.stop();
      },
    };
  } catch (err) {
    await etcd.stop();
    throw err;
  }
}
