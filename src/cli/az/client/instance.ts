/**
 * Which aksemu instance the az-compatible commands talk to: the one whose data directory is given by
 * --data-dir, else $AKSEMU_DATA_DIR, else the per-user default (the same rule as every other client command).
 * From the data directory come the instance's direct address, its CA certificate (the only one the CLI trusts
 * for it), the tenant and subscription, and the master key that the CLI's own secrets are sealed or derived with.
 */
import { existsSync, readFileSync } from 'node:fs';
import { paths, readInstanceInfo, resolveDataDir, type InstanceInfo } from '../../../config/data-dir.js';
import { AzCliError } from '../framework/errors.js';

export interface Instance {
  dataDir: string;
  info: InstanceInfo;
  /** The direct address, https://127.0.0.1:PORT (ARM at /, services under /_login, /_graph, /_vault, /_k8s). */
  baseUrl: string;
  ca: Buffer;
}

export function locateInstance(dataDirFlag?: string): Instance {
  const dataDir = resolveDataDir(dataDirFlag);
  const info = readInstanceInfo(dataDir);
  if (!info) {
    throw new AzCliError(`No aksemu instance has been started with the data directory ${dataDir}. Start one with 'aksemu start --data-dir ${dataDir}', or point --data-dir / AKSEMU_DATA_DIR at a running one.`);
  }
  const caFile = paths.caCert(dataDir);
  if (!existsSync(caFile)) throw new AzCliError(`The CA certificate of the instance is missing: ${caFile}`);
  const host = info.host === '0.0.0.0' || info.host === '::' ? '127.0.0.1' : info.host.includes(':') ? `[${info.host}]` : info.host;
  return { dataDir, info, baseUrl: `https://${host}:${info.port}`, ca: readFileSync(caFile) };
}
