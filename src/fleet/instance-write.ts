/**
 * The fleet's one write of a VM: its instance record and its Node object in one store transaction, so that a
 * restart (even kill -9) never finds one without the other (docs/architecture.md, "all state lives in the store").
 */
import type { Clock } from '../runtime/clock.js';
import { ContentionError, type Store, type TxnOp } from '../store/store.js';
import { registryKey } from '../clusters/cluster-registry.js';
import { decodeObject, encodeObject, stampNew } from '../clusters/stored-object.js';
import { instanceKey, type InstanceRecord, type VmssSpec } from './model.js';
import { buildNode, type NodeObject } from './node-object.js';

/**
 * Writes an instance record and its Node in one transaction (compare-and-swap on both, retried), keeping what
 * others wrote on the Node (labels users added, creation metadata). `ready` false cordons the node; `noNode`
 * removes it (a VM that is not booted has no kubelet).
 */
export async function writeInstanceAndNode(store: Store, clock: Clock, spec: VmssSpec, rec: InstanceRecord, ready: boolean, noNode = false): Promise<void> {
  const iKey = instanceKey(spec.uid, spec.pool, rec.instanceId);
  const nKey = registryKey(spec.uid, 'nodes', undefined, rec.name);
  const clean = JSON.parse(JSON.stringify(rec)) as InstanceRecord;
  for (let attempt = 0; attempt < 20; attempt++) {
    const [iKv, nKv] = await Promise.all([store.get(iKey), store.get(nKey)]);
    const current = nKv ? decodeObject<NodeObject>(nKv.value, nKv.modRevision) : undefined;
    const ops: TxnOp[] = [{ type: 'put', key: iKey, value: Buffer.from(JSON.stringify(clean)) }];
    if (noNode || (rec.state === 'Failed' && !current)) {
      if (nKv) ops.push({ type: 'delete', key: nKey });
    } else {
      let node = buildNode(spec, clean, clock.iso(), ready, current);
      if (!current) node = stampNew(node, clock.now());
      ops.push({ type: 'put', key: nKey, value: encodeObject(node) });
    }
    const res = await store.txn({
      if: [
        { key: iKey, modRevision: iKv?.modRevision ?? 0 },
        { key: nKey, modRevision: nKv?.modRevision ?? 0 },
      ],
      then: ops,
    });
    if (res.succeeded) return;
  }
  throw new ContentionError(`node ${rec.name}`);
}
