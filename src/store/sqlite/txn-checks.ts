/** The checks etcd makes on a request before running it, made the same way by the SQLite store. */
import type { TxnOp } from '../store.js';

/** etcd's default --max-txn-ops. */
export const MAX_TXN_OPS = 128;

export function checkKey(key: string): void {
  if (key === '') throw new Error('key is not provided');
}

/** etcd's checks on a transaction branch: bounded size and no key written twice (put/put, put/delete). */
export function checkBranch(ops: TxnOp[]): void {
  if (ops.length > MAX_TXN_OPS) throw new Error('too many operations in txn request');
  const puts = new Set<string>();
  for (const op of ops) {
    if (op.type === 'put' || op.type === 'delete') checkKey(op.key);
    if (op.type !== 'put') continue;
    if (puts.has(op.key)) throw new Error('duplicate key given in txn request');
    puts.add(op.key);
  }
  for (const op of ops) {
    if (op.type === 'delete' && puts.has(op.key)) throw new Error('duplicate key given in txn request');
    if (op.type === 'deletePrefix') {
      for (const key of puts) if (key.startsWith(op.prefix)) throw new Error('duplicate key given in txn request');
    }
  }
}
