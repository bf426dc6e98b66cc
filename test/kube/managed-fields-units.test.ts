/**
 * Managed fields as pure functions (SPEC W-18, W-19): field sets and their FieldsV1 form, the fields an object names
 * and an update changes, and the field manager's bookkeeping of updates and applies (ownership, pruning, conflicts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadSchema } from '../../src/kube/api/machinery/schema.js';
import { FieldSet, pathString } from '../../src/kube/api/machinery/field-set.js';
import { rootShape } from '../../src/kube/api/machinery/field-shapes.js';
import { compareObjects, toFieldSet } from '../../src/kube/api/machinery/field-walk.js';
import { applyConfiguration, recordUpdate, type ManagedFieldsEntry } from '../../src/kube/api/registry/managed-fields.js';
import { KubeError } from '../../src/kube/api/machinery/errors.js';
import { deployments } from '../../src/kube/resources/deployments.js';
import { configmaps } from '../../src/kube/resources/configmaps.js';
import type { KubeObject } from '../../src/clusters/stored-object.js';

beforeAll(async () => {
  await loadSchema();
});

const NOW = '2026-05-01T00:00:00Z';
const LATER = '2026-05-01T00:05:00Z';

const deployment = (over: { replicas?: number; labels?: Record<string, string>; image?: string; env?: Array<{ name: string; value: string }> } = {}): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', ...(over.labels ? { labels: over.labels } : {}) },
  spec: {
    ...(over.replicas !== undefined ? { replicas: over.replicas } : {}),
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'nginx', image: over.image ?? 'nginx:1.25', ports: [{ containerPort: 80 }], ...(over.env ? { env: over.env } : {}) }] },
    },
  },
});

const entries = (obj: KubeObject) => (obj.metadata.managedFields ?? []) as ManagedFieldsEntry[];
const entryOf = (obj: KubeObject, manager: string) => entries(obj).find((e) => e.manager === manager);

describe('field sets and FieldsV1', () => {
  it('round-trips FieldsV1 with "." for members that have children, in upstream order', () => {
    const doc = {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } },
      },
    };
    const set = FieldSet.fromFieldsV1(doc);
    expect(set.has(['f:metadata', 'f:labels'])).toBe(true);
    expect(set.has(['f:metadata'])).toBe(false);
    expect(set.has(['f:spec', 'f:replicas'])).toBe(true);
    expect(JSON.stringify(set.toFieldsV1())).toBe(JSON.stringify(doc));
    // Elements are ordered fields, keys, values, indices whatever order they were inserted in.
    const mixed = FieldSet.of([['i:2'], ['v:"x"'], ['k:{"a":1}'], ['f:z'], ['f:a'], ['i:10']]);
    expect(Object.keys(mixed.toFieldsV1())).toEqual(['f:a', 'f:z', 'k:{"a":1}', 'v:"x"', 'i:2', 'i:10']);
  });

  it('refuses malformed FieldsV1', () => {
    expect(() => FieldSet.fromFieldsV1([])).toThrow();
    expect(() => FieldSet.fromFieldsV1({ 'x:y': {} })).toThrow();
    expect(() => FieldSet.fromFieldsV1({ 'k:{bad': {} })).toThrow();
  });

  it('has set operations that keep members below a removed one', () => {
    const a = FieldSet.of([['f:spec', 'f:replicas'], ['f:spec', 'f:paused'], ['f:metadata', 'f:labels'], ['f:metadata', 'f:labels', 'f:app']]);
    const b = FieldSet.of([['f:spec', 'f:replicas'], ['f:metadata', 'f:labels']]);
    expect(a.difference(b).paths()).toEqual([['f:metadata', 'f:labels', 'f:app'], ['f:spec', 'f:paused']]);
    expect(a.intersection(b).paths()).toEqual([['f:metadata', 'f:labels'], ['f:spec', 'f:replicas']]);
    expect(b.union(FieldSet.of([['f:data']])).paths()).toEqual([['f:data'], ['f:metadata', 'f:labels'], ['f:spec', 'f:replicas']]);
    expect(a.withoutSubtree(['f:metadata']).paths()).toEqual([['f:spec', 'f:paused'], ['f:spec', 'f:replicas']]);
    expect(a.hasPrefix(['f:spec'])).toBe(true);
    expect(a.hasPrefix(['f:status'])).toBe(false);
  });

  it('prints paths as conflicts name them', () => {
    expect(pathString(['f:spec', 'f:replicas'])).toBe('.spec.replicas');
    expect(pathString(['f:spec', 'f:containers', 'k:{"name":"nginx"}', 'f:image'])).toBe('.spec.containers[name="nginx"].image');
    expect(pathString(['f:ports', 'k:{"containerPort":80,"protocol":"TCP"}'])).toBe('.ports[containerPort=80,protocol="TCP"]');
    expect(pathString(['f:metadata', 'f:finalizers', 'v:"a"'])).toBe('.metadata.finalizers[="a"]');
  });
});

describe('the fields an object names', () => {
  it('keys list items by their list-map keys, defaulted key fields included, and sets by value', () => {
    const set = toFieldSet({ ...deployment(), metadata: { name: 'web', finalizers: ['x'] } }, rootShape('V1Deployment'));
    const fields = set.toFieldsV1() as any;
    const container = fields['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"nginx"}'];
    expect(container['.']).toEqual({});
    expect(container['f:ports']['k:{"containerPort":80,"protocol":"TCP"}']).toEqual({ '.': {}, 'f:containerPort': {} });
    expect(fields['f:metadata']['f:finalizers']).toEqual({ 'v:"x"': {} });
    // An atomic struct (the label selector) is one leaf; a struct naming fields is not itself a member.
    expect(fields['f:spec']['f:selector']).toEqual({});
    expect(fields['f:spec']['.']).toBeUndefined();
  });

  it('compares: a map that appears is added itself, a Go value struct never is', () => {
    const c = compareObjects({}, { metadata: { name: 'x', labels: { a: 'b' } }, spec: { strategy: { type: 'Recreate' } } }, rootShape('V1Deployment'));
    expect(c.added.has(['f:metadata', 'f:labels'])).toBe(true);
    expect(c.added.has(['f:metadata', 'f:labels', 'f:a'])).toBe(true);
    expect(c.added.has(['f:spec'])).toBe(false);
    expect(c.added.has(['f:spec', 'f:strategy'])).toBe(false);
    const d = compareObjects({ spec: { replicas: 1, paused: true } }, { spec: { replicas: 2 } }, rootShape('V1Deployment'));
    expect(d.modified.paths()).toEqual([['f:spec', 'f:replicas']]);
    expect(d.removed.paths()).toEqual([['f:spec', 'f:paused']]);
  });
});

describe('the field manager', () => {
  const create = (obj: KubeObject, manager: string) => {
    const next = structuredClone(obj);
    recordUpdate(deployments, undefined, next, { manager, now: NOW });
    return next;
  };

  it('gives a create its manager, owning what it set, server metadata excluded', () => {
    const created = create(deployment({ replicas: 2, labels: { app: 'web' } }), 'kubectl-create');
    expect(entries(created)).toHaveLength(1);
    const e = entryOf(created, 'kubectl-create')!;
    expect(e).toMatchObject({ operation: 'Update', apiVersion: 'apps/v1', time: NOW, fieldsType: 'FieldsV1' });
    const f = e.fieldsV1 as any;
    expect(f['f:metadata']).toEqual({ 'f:labels': { '.': {}, 'f:app': {} } });
    expect(f['f:spec']['f:replicas']).toEqual({});
    expect(f['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"nginx"}']['f:image']).toEqual({});
    expect(f['f:apiVersion']).toBeUndefined();
  });

  it('moves a changed field to the updater, drops an entry owning nothing, and keeps the time of untouched entries', () => {
    const created = create(deployment({ replicas: 2 }), 'kubectl-create');
    const scaled = structuredClone(created);
    (scaled.spec as any).replicas = 5;
    recordUpdate(deployments, created, scaled, { manager: 'kubectl', subresource: 'scale', now: LATER });
    const scale = entryOf(scaled, 'kubectl')!;
    expect(scale).toMatchObject({ operation: 'Update', subresource: 'scale', time: LATER, fieldsV1: { 'f:spec': { 'f:replicas': {} } } });
    expect((entryOf(scaled, 'kubectl-create')!.fieldsV1 as any)['f:spec']['f:replicas']).toBeUndefined();
    expect(entryOf(scaled, 'kubectl-create')!.time).toBe(NOW);
    // An update that changes nothing leaves the entries as stored.
    const same = structuredClone(scaled);
    recordUpdate(deployments, scaled, same, { manager: 'other', now: LATER });
    expect(same.metadata.managedFields).toEqual(scaled.metadata.managedFields);
    // A manager whose only field another takes over disappears.
    const rescaled = structuredClone(scaled);
    (rescaled.spec as any).replicas = 1;
    recordUpdate(deployments, scaled, rescaled, { manager: 'hpa', now: LATER });
    expect(entryOf(rescaled, 'kubectl')).toBeUndefined();
    expect(entryOf(rescaled, 'hpa')).toBeDefined();
  });

  it('takes managed fields a client sends: [{}] resets them, an empty list keeps the stored ones', () => {
    const created = create(deployment({ replicas: 2 }), 'kubectl-create');
    const reset = { ...structuredClone(created), metadata: { ...created.metadata, managedFields: [{}] } };
    recordUpdate(deployments, created, reset, { manager: 'kubectl-edit', now: LATER });
    expect(reset.metadata.managedFields).toBeUndefined();
    const empty = { ...structuredClone(created), metadata: { ...created.metadata, managedFields: [] } };
    recordUpdate(deployments, created, empty, { manager: 'kubectl-edit', now: LATER });
    expect(empty.metadata.managedFields).toEqual(created.metadata.managedFields);
    const given: ManagedFieldsEntry[] = [{ manager: 'mine', operation: 'Update', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }];
    const replaced = { ...structuredClone(created), metadata: { ...created.metadata, managedFields: given } };
    recordUpdate(deployments, created, replaced, { manager: 'kubectl-edit', now: LATER });
    expect(entries(replaced).map((e) => e.manager)).toEqual(['mine']);
  });

  it('applies: sets what it names, creates, and removes what it no longer names', () => {
    const first = applyConfiguration(deployments, undefined, deployment({ replicas: 2, labels: { app: 'web', tier: 'front' } }), { manager: 'kubectl', now: NOW, force: false });
    const e = entryOf(first, 'kubectl')!;
    expect(e).toMatchObject({ operation: 'Apply', apiVersion: 'apps/v1' });
    expect((e.fieldsV1 as any)['f:metadata']).toEqual({ 'f:labels': { 'f:app': {}, 'f:tier': {} } });
    const second = applyConfiguration(deployments, first, deployment({ replicas: 2, labels: { app: 'web' } }), { manager: 'kubectl', now: LATER, force: false });
    expect(second.metadata.labels).toEqual({ app: 'web' });
    expect(entries(second)).toHaveLength(1);
    // A field another manager also owns stays when the applier lets go of it.
    const shared = structuredClone(first);
    recordUpdate(deployments, first, shared, { manager: 'x', now: NOW });
    const labelled = structuredClone(first);
    labelled.metadata.labels = { app: 'web', tier: 'front', extra: '1' };
    recordUpdate(deployments, first, labelled, { manager: 'labeller', now: NOW });
    const third = applyConfiguration(deployments, labelled, deployment({ replicas: 2 }), { manager: 'kubectl', now: LATER, force: false });
    expect(third.metadata.labels).toEqual({ extra: '1' });
  });

  it('refuses to change a field another manager owns (409, upstream words), unless forced', () => {
    const created = create(deployment({ replicas: 2 }), 'kubectl-client-side-apply');
    const conflict = (() => {
      try {
        applyConfiguration(deployments, created, deployment({ replicas: 3 }), { manager: 'kubectl', now: LATER, force: false });
      } catch (err) {
        return err as KubeError;
      }
      throw new Error('no conflict');
    })();
    expect(conflict.code).toBe(409);
    expect(conflict.reason).toBe('Conflict');
    expect(conflict.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
    expect(conflict.toStatus().details?.causes).toEqual([{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }]);
    // The same value is no conflict: both own it.
    const agreed = applyConfiguration(deployments, created, deployment({ replicas: 2 }), { manager: 'kubectl', now: LATER, force: false });
    expect((entryOf(agreed, 'kubectl-client-side-apply')!.fieldsV1 as any)['f:spec']['f:replicas']).toEqual({});
    // Forced: the applier takes it.
    const forced = applyConfiguration(deployments, created, deployment({ replicas: 3 }), { manager: 'kubectl', now: LATER, force: true });
    expect((forced.spec as any).replicas).toBe(3);
    expect((entryOf(forced, 'kubectl-client-side-apply')!.fieldsV1 as any)['f:spec']['f:replicas']).toBeUndefined();
  });

  it('lists several conflicts by manager', () => {
    const created = create(deployment({ replicas: 2, image: 'nginx:1' }), 'a');
    try {
      applyConfiguration(deployments, created, deployment({ replicas: 3, image: 'nginx:2' }), { manager: 'b', now: LATER, force: false });
      throw new Error('no conflict');
    } catch (err) {
      expect((err as Error).message).toBe('Apply failed with 2 conflicts: conflicts with "a" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="nginx"].image');
    }
  });

  it('refuses managed fields in an applied configuration', () => {
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', managedFields: [] }, data: { a: '1' } };
    expect(() => applyConfiguration(configmaps, undefined, cm, { manager: 'm', now: NOW, force: false })).toThrow('metadata.managedFields must be nil');
  });
});
