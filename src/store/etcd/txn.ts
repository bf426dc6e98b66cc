/** The Store's conditions and transaction operations as etcd Txn compares and request ops. */
import { CompareResult, CompareTarget, type IRequestOp } from 'etcd3';
import type { TxnOp } from '../store.js';
import type { EtcdKeys } from './keys.js';

/** A compare of the key's MOD revision: 0 means absent, as etcd compares a missing key against a zero KeyValue. */
export function modIs(keys: EtcdKeys, key: string, modRevision: number) {
  return { key: keys.encode(key), target: CompareTarget.Mod, result: CompareResult.Equal, mod_revision: modRevision };
}

function requestOp(keys: EtcdKeys, op: TxnOp): IRequestOp | undefined {
  switch (op.type) {
    case 'put':
      return { request_put: { key: keys.encode(op.key), value: op.value } };
    case 'delete':
      return { request_delete_range: { key: keys.encode(op.key) } };
    case 'deletePrefix': {
      const scope = keys.scope(op.prefix);
      return scope ? { request_delete_range: { key: scope.key, range_end: scope.end } } : undefined;
    }
  }
}

/** The request ops of a transaction branch; a prefix no key of this store can have deletes nothing. */
export function requestOps(keys: EtcdKeys, ops: TxnOp[]): IRequestOp[] {
  return ops.map((op) => requestOp(keys, op)).filter((op): op is IRequestOp => op !== undefined);
}
