/**
 * The pure rules under the Kubernetes API: strategic merge patch semantics, selectors, quantities, ages,
 * scheduler filters and messages, and protobuf decoding details (inlining, omitempty, refusing unknown fields).
 */
import protobuf from 'protobufjs/minimal.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeProtobufBody, decodeStoredProtobuf, isProtobufObject } from '../../src/kube/api/machinery/protobuf.js';
import { fieldType, loadSchema } from '../../src/kube/api/machinery/schema.js';
import { matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError } from '../../src/kube/api/machinery/selectors.js';
import { PatchError, strategicMerge } from '../../src/kube/api/machinery/strategic-merge.js';
import type { Node, Pod } from '../../src/kube/api/machinery/types.js';
import { emptyUsage, filterNode, unschedulableMessage } from '../../src/kube/controllers/scheduling.js';
import { humanDuration } from '../../src/kube/util/age.js';
import { canonicalQuantity, milliValue, unitValue } from '../../src/kube/api/machinery/quantity.js';
import { secrets } from '../../src/kube/resources/secrets.js';

beforeAll(async () => {
  await loadSchema();
});

const smp = (original: unknown, patch: unknown, model = 'V1Pod') => strategicMerge(original as Record<string, unknown>, patch, model, fieldType);

describe('strategic merge patch', () => {
  const pod = {
    metadata: { name: 'p', labels: { a: '1', b: '2' }, finalizers: ['x/one'] },
    spec: {
      containers: [
        { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80 }] },
        { name: 'side', image: 'side:1' },
      ],
      tolerations: [{ key: 't1', operator: 'Exists' }],
      volumes: [{ name: 'v', emptyDir: {} }],
    },
  };

  it('merges maps, deletes keys set to null', () => {
    const out = smp(pod, { metadata: { labels: { a: null, c: '3' } } }) as any;
    expect(out.metadata.labels).toEqual({ b: '2', c: '3' });
    expect(out.spec).toEqual(pod.spec);
  });

  it('merges lists with a merge key element by element, appends new ones, deletes with $patch: delete', () => {
    const out = smp(pod, { spec: { containers: [{ name: 'app', image: 'app:2', env: [{ name: 'B', $patch: 'delete' }, { name: 'C', value: '3' }] }, { name: 'new', image: 'n:1' }] } }) as any;
    expect(out.spec.containers.map((c: any) => `${c.name}=${c.image}`)).toEqual(['app=app:2', 'side=side:1', 'new=n:1']);
    expect(out.spec.containers[0].env).toEqual([{ name: 'A', value: '1' }, { name: 'C', value: '3' }]);
    expect(out.spec.containers[0].ports).toEqual([{ containerPort: 80 }]);
  });

  it('replaces lists without a merge strategy (tolerations) and honours $patch: replace', () => {
    const out = smp(pod, { spec: { tolerations: [{ key: 't2', operator: 'Exists' }] } }) as any;
    expect(out.spec.tolerations).toEqual([{ key: 't2', operator: 'Exists' }]);
    const replaced = smp(pod, { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'o:1' }] } }) as any;
    expect(replaced.spec.containers).toEqual([{ name: 'only', image: 'o:1' }]);
    const map = smp(pod, { metadata: { labels: { $patch: 'replace', z: '9' } } }) as any;
    expect(map.metadata.labels).toEqual({ z: '9' });
  });

  it('unions sets of scalars and removes values with $deleteFromPrimitiveList', () => {
    const added = smp(pod, { metadata: { finalizers: ['x/two', 'x/one'] } }) as any;
    expect(added.metadata.finalizers).toEqual(['x/one', 'x/two']);
    const removed = smp(added, { metadata: { '$deleteFromPrimitiveList/finalizers': ['x/one'] } }) as any;
    expect(removed.metadata.finalizers).toEqual(['x/two']);
  });

  it('orders a merged list by $setElementOrder and keeps only $retainKeys', () => {
    const ordered = smp(pod, { spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'app' }], containers: [{ name: 'app', image: 'app:3' }] } }) as any;
    expect(ordered.spec.containers.map((c: any) => c.name)).toEqual(['side', 'app']);
    const retained = smp(pod, { spec: { volumes: [{ name: 'v', $retainKeys: ['name', 'hostPath'], hostPath: { path: '/x' } }] } }) as any;
    expect(retained.spec.volumes).toEqual([{ name: 'v', hostPath: { path: '/x' } }]);
  });

  it('refuses malformed patches', () => {
    expect(() => smp(pod, [1])).toThrow(PatchError);
    expect(() => smp(pod, { spec: { containers: [{ image: 'no-name' }] } })).toThrow(/does not contain declared merge key: name/);
    expect(() => smp(pod, { spec: { $patch: 'bogus' } })).toThrow('Unknown patch type: bogus');
    // Found by the fuzz campaign: a directive that is not a string, whose members shadow toString.
    expect(() => smp(pod, { metadata: { $patch: [{ toString: 1 }] } })).toThrow(expect.objectContaining({ message: 'Unknown patch type: [{"toString":1}]', status: 400 }));
  });
});

describe('selectors', () => {
  it('parses and matches label selectors as kube-apiserver does', () => {
    const m = (sel: string, labels: Record<string, string>) => matchesLabels(parseLabelSelector(sel), labels);
    expect(m('app=web,tier!=db', { app: 'web' })).toBe(true);
    expect(m('app=web,tier!=db', { app: 'web', tier: 'db' })).toBe(false);
    expect(m('env in (prod, stage),!legacy', { env: 'stage' })).toBe(true);
    expect(m('env notin (prod)', {})).toBe(true);
    expect(m('kubernetes.azure.com/fips_enabled=true', { 'kubernetes.azure.com/fips_enabled': 'true' })).toBe(true);
    expect(m('replicas>2', { replicas: '3' })).toBe(true);
    expect(m('', {})).toBe(true);
    expect(() => parseLabelSelector('a b')).toThrow(SelectorError);
    expect(() => parseLabelSelector('bad key!=1')).toThrow(SelectorError);
    expect(() => parseLabelSelector('a in ()')).toThrow(/values set can't be empty/);
  });

  it('parses field selectors with escapes', () => {
    expect(parseFieldSelector('spec.nodeName=n1,status.phase!=Running')).toEqual([
      { field: 'spec.nodeName', op: '=', value: 'n1' },
      { field: 'status.phase', op: '!=', value: 'Running' },
    ]);
    expect(parseFieldSelector('metadata.name=a\\,b')).toEqual([{ field: 'metadata.name', op: '=', value: 'a,b' }]);
    expect(() => parseFieldSelector('nonsense')).toThrow(SelectorError);
  });
});

describe('quantities and ages', () => {
  it('canonicalizes quantities as kube-apiserver writes them', () => {
    expect(['0.5', 1, '1000m', '1000', '1500', '1024Mi', '0.5Gi', '1.5Ki', '2048Ki', '1e3', '100m'].map((q) => canonicalQuantity(q))).toEqual(['500m', '1', '1', '1k', '1500', '1Gi', '512Mi', '1536', '2Mi', '1e3', '100m']);
    expect(milliValue('1.5')).toBe(1500n);
    expect(unitValue('4652480Ki')).toBe(4652480n * 1024n);
    expect(() => canonicalQuantity('ten')).toThrow(/quantities must match/);
  });

  it('prints ages as kubectl does', () => {
    expect([5, 119, 125, 600, 3 * 3600 + 60, 7 * 3600 + 300, 30 * 3600, 3 * 86400 + 7200, 400 * 86400, 3 * 365 * 86400 + 86400].map((s) => humanDuration(s * 1000))).toEqual([
      '5s', '119s', '2m5s', '10m', '3h1m', '7h5m', '30h', '3d2h', '400d', '3y1d',
    ]);
  });
});

describe('scheduler rules', () => {
  const node = (name: string, labels: Record<string, string>, extra: Partial<Node['spec']> = {}, ready = true): Node => ({
    metadata: { name, labels },
    spec: { ...extra },
    status: { allocatable: { cpu: '2', memory: '4Gi', pods: '2' }, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const pod = (spec: Partial<Pod['spec']>): Pod => ({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }], ...spec } as Pod['spec'] });

  it('filters in the default profile order and words the failures as kube-scheduler', () => {
    expect(filterNode(pod({ nodeSelector: { a: 'b' } }), node('n', { a: 'b' }), emptyUsage())).toBeUndefined();
    expect(filterNode(pod({ nodeSelector: { a: 'b' } }), node('n', {}), emptyUsage())?.reasons).toEqual(["node(s) didn't match Pod's node affinity/selector"]);
    expect(filterNode(pod({}), node('n', {}, { unschedulable: true }), emptyUsage())?.reasons).toEqual(['node(s) were unschedulable']);
    expect(filterNode(pod({}), node('n', {}, {}, false), emptyUsage())?.reasons).toEqual(['node(s) had untolerated taint {node.kubernetes.io/not-ready: }']);
    const full = emptyUsage();
    full.pods = 2;
    expect(filterNode(pod({}), node('n', {}), full)?.reasons).toEqual(['Too many pods']);
    expect(filterNode(pod({ containers: [{ name: 'c', resources: { requests: { memory: '5Gi' } } }] }), node('n', {}), emptyUsage())?.reasons).toEqual(['Insufficient memory']);
    expect(unschedulableMessage(0, [])).toBe('no nodes available to schedule pods');
  });

  it('names every resource a node is short of, and counts nodes per reason in the FailedScheduling message (SPEC W-20)', () => {
    const big = pod({ containers: [{ name: 'c', resources: { requests: { cpu: '3', memory: '5Gi' } } }] });
    const short = filterNode(big, node('n', {}), emptyUsage());
    expect(short).toEqual({ reasons: ['Insufficient cpu', 'Insufficient memory'], resolvable: true });
    const elsewhere = filterNode(pod({ nodeSelector: { 'kubernetes.azure.com/fips_enabled': 'true' } }), node('m', {}), emptyUsage())!;
    expect(unschedulableMessage(5, [elsewhere, elsewhere, short!, short!, short!])).toBe(
      "0/5 nodes are available: 2 node(s) didn't match Pod's node affinity/selector, 3 Insufficient cpu, 3 Insufficient memory. preemption: 0/5 nodes are available: 2 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.",
    );
  });
});

describe('protobuf bodies', () => {
  const { Writer } = protobuf;
  const envelope = (apiVersion: string, kind: string, raw: Uint8Array) => {
    const tm = Writer.create().uint32((1 << 3) | 2).string(apiVersion).uint32((2 << 3) | 2).string(kind).finish();
    const unknown = Writer.create().uint32((1 << 3) | 2).bytes(tm).uint32((2 << 3) | 2).bytes(raw).finish();
    return Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from(unknown)]);
  };
  const accepted = ['application/json'];

  it('decodes a ConfigMap volume with its inlined LocalObjectReference and drops zero values of non-pointer fields', () => {
    const ref = Writer.create().uint32((1 << 3) | 2).string('settings').finish();
    const cmSource = Writer.create().uint32((1 << 3) | 2).bytes(ref).uint32((3 << 3) | 0).int32(420).finish();
    const source = Writer.create().uint32((19 << 3) | 2).bytes(cmSource).finish();
    const volume = Writer.create().uint32((1 << 3) | 2).string('cfg').uint32((2 << 3) | 2).bytes(source).finish();
    const container = Writer.create().uint32((1 << 3) | 2).string('c').uint32((2 << 3) | 2).string('img:1').uint32((16 << 3) | 0).bool(false).finish();
    const spec = Writer.create().uint32((1 << 3) | 2).bytes(volume).uint32((2 << 3) | 2).bytes(container).uint32((11 << 3) | 0).bool(false).uint32((4 << 3) | 0).int64(0).finish();
    const meta = Writer.create().uint32((1 << 3) | 2).string('pb').uint32((3 << 3) | 2).string('').finish();
    const podBytes = Writer.create().uint32((1 << 3) | 2).bytes(meta).uint32((2 << 3) | 2).bytes(spec).finish();
    const obj = decodeProtobufBody(envelope('v1', 'Pod', podBytes), accepted) as any;
    expect(obj).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pb' },
      spec: { volumes: [{ name: 'cfg', configMap: { name: 'settings', defaultMode: 420 } }], containers: [{ name: 'c', image: 'img:1' }], terminationGracePeriodSeconds: 0 },
    });
  });

  it('refuses kinds and fields it does not know with 415, and malformed bodies with 400', () => {
    expect(() => decodeProtobufBody(envelope('networking.k8s.io/v1', 'Ingress', new Uint8Array()), accepted)).toThrow(expect.objectContaining({ code: 415 }));
    const unknownField = Writer.create().uint32((99 << 3) | 0).int32(1).finish();
    expect(() => decodeProtobufBody(envelope('v1', 'Secret', unknownField), accepted)).toThrow(/cannot decode field 99 of Secret/);
    expect(() => decodeProtobufBody(Buffer.from('nope'), accepted)).toThrow(expect.objectContaining({ code: 400 }));
    const truncated = envelope('v1', 'Secret', Buffer.from([0x0a, 0x05, 0x01]));
    expect(() => decodeProtobufBody(truncated, accepted)).toThrow(expect.objectContaining({ code: 400 }));
  });
});

describe('objects a real kube-apiserver stored as protobuf', () => {
  const { Writer } = protobuf;
  const envelope = (apiVersion: string, kind: string, raw: Uint8Array) => {
    const tm = Writer.create().uint32((1 << 3) | 2).string(apiVersion).uint32((2 << 3) | 2).string(kind).finish();
    const unknown = Writer.create().uint32((1 << 3) | 2).bytes(tm).uint32((2 << 3) | 2).bytes(raw).finish();
    return Buffer.concat([Buffer.from('k8s\0', 'latin1'), Buffer.from(unknown)]);
  };

  it('reads a Secret with its managed fields (FieldsV1 holds JSON as bytes), and refuses kinds whose status it would drop', () => {
    const fieldsV1 = Writer.create().uint32((1 << 3) | 2).bytes(Buffer.from('{"f:data":{".":{},"f:v":{}}}')).finish();
    const managed = Writer.create().uint32((1 << 3) | 2).string('kubectl-create').uint32((2 << 3) | 2).string('Update').uint32((3 << 3) | 2).string('v1').uint32((6 << 3) | 2).string('FieldsV1').uint32((7 << 3) | 2).bytes(fieldsV1).finish();
    const meta = Writer.create().uint32((1 << 3) | 2).string('db').uint32((3 << 3) | 2).string('default').uint32((5 << 3) | 2).string('u-1').uint32((17 << 3) | 2).bytes(managed).finish();
    const entry = Writer.create().uint32((1 << 3) | 2).string('v').uint32((2 << 3) | 2).bytes(Buffer.from('pw')).finish();
    const secret = Writer.create().uint32((1 << 3) | 2).bytes(meta).uint32((2 << 3) | 2).bytes(entry).uint32((3 << 3) | 2).string('Opaque').finish();
    const stored = envelope('v1', 'Secret', secret);
    expect(isProtobufObject(stored)).toBe(true);
    expect(isProtobufObject(Buffer.from('{"kind":"Secret"}'))).toBe(false);
    expect(decodeStoredProtobuf(stored)).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'default', uid: 'u-1', managedFields: [{ manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { '.': {}, 'f:v': {} } } }] },
      data: { v: Buffer.from('pw').toString('base64') },
      type: 'Opaque',
    });
    expect(() => decodeStoredProtobuf(envelope('v1', 'Pod', new Uint8Array()))).toThrow('aksemu does not read Pod stored as protobuf');
  });
});

describe('secret validation', () => {
  const validate = secrets.validate!;
  const secret = (type: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, type, data }) as Parameters<typeof validate>[0];

  it('names the keys a typed secret lacks, and treats a type named like an Object member as an unknown type (a fuzz finding: 500)', () => {
    expect(validate(secret('kubernetes.io/tls', { 'tls.crt': 'YQ==' }))).toEqual([{ type: 'FieldValueRequired', field: 'data[tls.key]' }]);
    expect(validate(secret('kubernetes.io/basic-auth', { toString: 'YQ==' }))).toEqual([{ type: 'FieldValueRequired', field: 'data[username]' }]);
    for (const type of ['hasOwnProperty', 'constructor', '__proto__', 'toString']) expect(validate(secret(type, { a: 'YQ==' }))).toEqual([]);
  });
});
