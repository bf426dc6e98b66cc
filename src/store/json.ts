/** JSON documents on top of the byte store: most emulator state is JSON; encrypted Kubernetes data is not. */
import { ContentionError, type KeyValue, type Store, type WriteResult } from './store.js';

export interface JsonDocument<T> {
  value: T;
  modRevision: number;
}

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function decodeJson<T>(kv: KeyValue): T {
  return JSON.parse(kv.value.toString('utf8')) as T;
}

export async function getJson<T>(store: Store, key: string): Promise<JsonDocument<T> | undefined> {
  const kv = await store.get(key);
  return kv ? { value: decodeJson<T>(kv), modRevision: kv.modRevision } : undefined;
}

export function putJson(store: Store, key: string, value: unknown, opts?: { ifModRevision?: number }): Promise<WriteResult> {
  return store.put(key, encodeJson(value), opts);
}

/** Every JSON document under `prefix`, page by page. */
export async function listJson<T>(store: Store, prefix: string, pageSize = 1000): Promise<Array<JsonDocument<T> & { key: string }>> {
  const out: Array<JsonDocument<T> & { key: string }> = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.range(prefix, { limit: pageSize, ...(after ? { after } : {}) });
    for (const kv of page.items) out.push({ key: kv.key, value: decodeJson<T>(kv), modRevision: kv.modRevision });
    if (!page.more) return out;
    after = page.items[page.items.length - 1]!.key;
  }
}

/**
 * Read-modify-write with compare-and-swap, retried on conflict: `mutate` gets the current value (undefined if
 * absent) and returns the new one, or undefined to leave the key untouched.
 */
export async function updateJson<T>(
  store: Store,
  key: string,
  mutate: (current: T | undefined) => T | undefined | Promise<T | undefined>,
  attempts = 20,
): Promise<T | undefined> {
  for (let i = 0; i < attempts; i++) {
    const current = await getJson<T>(store, key);
    const next = await mutate(current?.value);
    if (next === undefined) return current?.value;
    const res = await putJson(store, key, next, { ifModRevision: current?.modRevision ?? 0 });
    if (res.succeeded) return next;
  }
  throw new ContentionError(key);
}
