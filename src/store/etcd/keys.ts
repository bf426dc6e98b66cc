/**
 * Key encoding of an EtcdStore: the store's keys and key-values in etcd's terms and back.
 *
 * With a key prefix P, the store key K is the etcd key P+K. Every key must then start with "/", so that the
 * store's keys are exactly the etcd keys under P+"/" and never those of a neighbour sharing the etcd with a
 * longer prefix (P="/a" must not see "/ab/..." of P="/ab").
 */
import type { IKeyValue } from 'etcd3';
import { prefixEnd, type KeyValue } from '../store.js';

const EMPTY = Buffer.alloc(0);

export class EtcdKeys {
  /** The key prefix in its normal form: "" or "/name" (no trailing "/"). */
  readonly prefix: string;
  readonly prefixBytes: Buffer;

  /** "team-a", "/team-a" and "/team-a/" all mean the key prefix "/team-a". */
  constructor(prefix: string) {
    prefix = prefix.replace(/\/+$/, '');
    if (prefix !== '' && !prefix.startsWith('/')) prefix = `/${prefix}`;
    this.prefix = prefix;
    this.prefixBytes = Buffer.from(prefix, 'utf8');
  }

  /** The etcd key of the store key `key`. */
  encode(key: string): Buffer {
    if (key === '') throw new Error('key is not provided');
    if (this.prefixBytes.length === 0) return Buffer.from(key, 'utf8');
    if (!key.startsWith('/')) throw new Error(`key ${JSON.stringify(key)} must start with "/" in a store with a key prefix`);
    return Buffer.concat([this.prefixBytes, Buffer.from(key, 'utf8')]);
  }

  /** The etcd key range [key, end) of the store keys that start with `prefix`; undefined when there are none. */
  scope(prefix: string): { key: Buffer; end: Buffer } | undefined {
    if (this.prefixBytes.length === 0) {
      // etcd rejects an empty key; "\0" is the first key there is.
      return { key: prefix === '' ? Buffer.from([0]) : Buffer.from(prefix, 'utf8'), end: prefixEnd(prefix) };
    }
    if (prefix === '') prefix = '/'; // every key of this store starts with "/"
    else if (!prefix.startsWith('/')) return undefined;
    const full = this.prefix + prefix;
    return { key: Buffer.from(full, 'utf8'), end: prefixEnd(full) };
  }

  /** The smallest etcd key after the store key `after`: `after` followed by a zero byte. */
  after(after: string): Buffer {
    return Buffer.concat([this.prefixBytes, Buffer.from(after, 'utf8'), Buffer.from([0])]);
  }

  /** A key no store key can be: the prefix followed by a zero byte. */
  nonKey(): Buffer {
    return Buffer.concat([this.prefixBytes, Buffer.from([0])]);
  }

  /** The store key of the etcd key `key`. */
  decode(key: Buffer): string {
    return key.subarray(this.prefixBytes.length).toString('utf8');
  }

  toKv(kv: IKeyValue): KeyValue {
    return {
      key: this.decode(kv.key),
      value: kv.value ?? EMPTY,
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
      version: Number(kv.version),
    };
  }
}
