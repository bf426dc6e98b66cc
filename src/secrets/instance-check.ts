/**
 * The start-up check that the master key and the store belong together (SPEC R-1: a lost or damaged store or key is
 * noticed at start, not by a request failing later).
 *
 * Two records tie them: the store holds `/aksemu/instance` (an instance id and the master key's fingerprint, which
 * reveals nothing of the key), and the data directory holds store-state.json, which lists the stores that hold
 * state sealed with its master key. A start refuses, with what to do about it:
 *   - a missing master.key while anything is sealed with it (a store listed, the CA key, a store with state):
 *     a new key would not open any of it, so none is made;
 *   - a master.key whose fingerprint is not the one the store records;
 *   - a store listed in store-state.json that is missing, empty or another instance's store.
 * A new data directory, or one that has a master key but no store yet, starts as before; so does a store written
 * before these records existed (it is adopted). The etcd store is checked the same way: its state lives in etcd, so
 * a new data directory pointed at an etcd prefix with state and without its master key is refused.
 */
import { existsSync, readFileSync } from 'node:fs';
import { paths, writeFileAtomic } from '../config/data-dir.js';
import { describeStoreSpec, openStore, parseStoreSpec } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { newGuid } from '../util/ids.js';
import { createMasterKey, loadMasterKey, Sealer } from './sealer.js';

/** The store key of the instance record. */
const RECORD_KEY = '/aksemu/instance';

interface InstanceRecord {
  instanceId: string;
  /** A value derived from the master key (not the key): which key sealed this store's state. */
  masterKeyFingerprint: string;
  createdAt: string;
}

/** store-state.json: the stores that hold state sealed with this data directory's master key. */
interface StoreState {
  stores: Record<string, InstanceRecord>;
}

/** Why a start is refused: printed as is by `aksemu start`. */
export class InstanceCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InstanceCheckError';
  }
}

function fingerprint(sealer: Sealer): string {
  return sealer.derive('aksemu/master-key-fingerprint', 16).toString('hex');
}

function readStoreState(file: string): StoreState {
  if (!existsSync(file)) return { stores: {} };
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<StoreState>;
    if (parsed && typeof parsed.stores === 'object' && parsed.stores !== null) return { stores: parsed.stores };
  } catch {
    /* refused below */
  }
  throw new InstanceCheckError(`${file} is not readable JSON; restore it from a backup, or move it away if the store it lists is gone`);
}

/** The store's name in store-state.json: a file inside the data directory is named relative to it (it may move). */
function stateName(description: string, dataDir: string): string {
  const inside = `sqlite:${dataDir}/`;
  return description.startsWith(inside) ? `sqlite:./${description.slice(inside.length)}` : description;
}

async function readRecord(store: Store): Promise<InstanceRecord | undefined> {
  const kv = await store.get(RECORD_KEY);
  return kv ? (JSON.parse(kv.value.toString('utf8')) as InstanceRecord) : undefined;
}

async function hasState(store: Store): Promise<boolean> {
  return (await store.range('', { limit: 1, keysOnly: true })).items.length > 0;
}

/**
 * Loads (or, for an instance with nothing sealed yet, makes) the master key and opens the store, after checking
 * that they belong together. Throws InstanceCheckError (or the store's own StoreDamagedError) to refuse.
 */
export async function openCheckedInstance(dataDir: string, storeSpec: string): Promise<{ sealer: Sealer; store: Store }> {
  const spec = parseStoreSpec(storeSpec, dataDir);
  const description = describeStoreSpec(storeSpec, dataDir);
  const stateFile = paths.storeState(dataDir);
  const keyFile = paths.masterKey(dataDir);
  const state = readStoreState(stateFile);
  const name = stateName(description, dataDir);
  const listed = state.stores[name];
  let key = existsSync(keyFile) ? loadMasterKey(keyFile) : undefined;
  const startOver = `To start over with nothing, move the data directory ${dataDir} away${spec.kind === 'etcd' ? ' and use an empty etcd prefix' : ''}.`;

  if (!key) {
    const sealed = [...Object.keys(state.stores).map((s) => `the store ${s.replace(/^sqlite:\.\//, `${dataDir}/`)}`), ...(existsSync(paths.caKey(dataDir)) ? [paths.caKey(dataDir)] : [])];
    if (sealed.length > 0) {
      throw new InstanceCheckError(
        `the master key ${keyFile} is missing, but ${sealed.join(' and ')} ${sealed.length > 1 ? 'are' : 'is'} sealed with it; ` +
          `a new key could not open ${sealed.length > 1 ? 'them' : 'it'}, so none is made. Restore ${keyFile} from a backup. ${startOver}`,
      );
    }
  }
  const lostStore = (what: string) =>
    new InstanceCheckError(
      `${what}, but ${stateFile} records that it held this instance's state (instance ${listed!.instanceId}, since ${listed!.createdAt}). ` +
        `Restore the store from a backup${spec.kind === 'etcd' ? ', or check the etcd endpoints and prefix' : ''}. ` +
        `To start with an empty store instead, move ${stateFile} away.`,
    );
  // Checked before opening: opening would create an empty file in its place.
  if (spec.kind === 'sqlite' && listed && !existsSync(spec.path)) throw lostStore(`the store ${spec.path} is missing`);

  const store = await openStore(storeSpec, dataDir);
  try {
    let record = await readRecord(store);
    if (!key) {
      if (record || (await hasState(store))) {
        throw new InstanceCheckError(
          `the master key ${keyFile} is missing, but the store ${description} holds state sealed with a master key; a new key could not open it, ` +
            `so none is made. Copy master.key from the data directory that created this store into ${dataDir}, or point --store at an empty store.`,
        );
      }
      key = createMasterKey(keyFile);
    }
    const sealer = new Sealer(key);
    const own = fingerprint(sealer);
    if (record && record.masterKeyFingerprint !== own) {
      throw new InstanceCheckError(
        `the master key ${keyFile} is not the key the store ${description} was sealed with (the store records key ${record.masterKeyFingerprint}, ` +
          `this one is ${own}). Restore the matching master.key from a backup, or point --store at this data directory's own store.`,
      );
    }
    if (listed && (!record || record.instanceId !== listed.instanceId)) {
      throw lostStore(record ? `the store ${description} holds another instance (${record.instanceId})` : `the store ${description} is empty`);
    }
    if (!record) {
      // A new store, or one written before the record existed: it is this key's from now on.
      record = { instanceId: newGuid(), masterKeyFingerprint: own, createdAt: new Date().toISOString() };
      const put = await store.put(RECORD_KEY, Buffer.from(JSON.stringify(record)), { ifModRevision: 0 });
      if (!put.succeeded) throw new InstanceCheckError(`another aksemu is starting on the store ${description}; start again when it is ready`);
    }
    if (!listed) writeFileAtomic(stateFile, `${JSON.stringify({ stores: { ...state.stores, [name]: record } }, null, 2)}\n`, 0o600);
    return { sealer, store };
  } catch (err) {
    await store.close();
    throw err;
  }
}
