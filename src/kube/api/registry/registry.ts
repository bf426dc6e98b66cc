/**
 * The generic registry of one cluster: create, get, list, update, patch, delete and watch with the semantics of
 * kube-apiserver's generic registry store over etcd (the Kubernetes API conventions):
 *
 * - resourceVersion is the etcd mod revision; an update carrying a stale one is a 409 Conflict; an update
 *   without one is unconditional; uid/creationTimestamp are set once; generation counts spec changes;
 * - lists page in key order (`limit`/`continue`) and filter by label and field selectors;
 * - graceful deletion (pods on a node get a deletionTimestamp and are removed by their kubelet), finalizers,
 *   DeleteOptions preconditions;
 * - `dryRun=All` runs every step except the write;
 * - every write goes through the storage transformer (ObjectStorage), so an update always re-encodes: a
 *   `get | replace` of an object stored in a stale form rewrites it in the current form (SPEC K-2).
 *
 * Updates are always written, even when they change nothing: kube-apiserver skips a write whose bytes are
 * unchanged and not stale, but issue 5 requires `get secrets -o json | kubectl replace -f -` to rewrite every
 * secret (resourceVersion bumped), which is also what makes a storage migration independent of staleness checks.
 *
 * Both the HTTP layer and the in-process controllers (scheduler, kubelets, namespace controller) use this class,
 * so controller writes get the same validation and conflict detection as clients'.
 */
import jsonMergePatch from 'json-merge-patch';
import jsonPatch from 'fast-json-patch';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../runtime/clock.js';
import { kubeErrors, KubeError, type FieldError } from '../machinery/errors.js';
import { apiVersionOf, type ResourceDef } from '../machinery/resource.js';
import { decodeAsKind, type FieldValidation } from './decode.js';
import { fieldType } from '../machinery/schema.js';
import { matchesFields, matchesLabels, type FieldRequirement, type LabelRequirement } from '../machinery/selectors.js';
import { PatchError, strategicMerge } from '../machinery/strategic-merge.js';
import type { Namespace, Pod } from '../machinery/types.js';
import { validateObjectMeta } from '../machinery/validation.js';
import { kubeTime } from '../../util/age.js';
import { clone, deepEqual } from '../../util/deep.js';
import { generateName } from '../../util/names.js';
import type { ObjectStorage, StoredObject } from '../../storage/object-storage.js';
import { IMMORTAL_NAMESPACES } from '../../resources/namespaces.js';
import type { KubeObject } from '../../stored-object.js';

export interface WriteOptions {
  dryRun?: boolean;
}

export interface ListOptions {
  labelSelector?: LabelRequirement[];
  fieldSelector?: FieldRequirement[];
  limit?: number;
  continueToken?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface ListResult<T extends KubeObject = KubeObject> {
  items: T[];
  resourceVersion: string;
  continueToken?: string;
}

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
}

export type PatchType = 'json' | 'merge' | 'strategic';

/** How much of the cluster-wide "not older than" wait to allow before answering 504 (kube-apiserver: 3 s). */
const RV_WAIT_MS = 3000;
const MAX_JSON_PATCH_OPERATIONS = 10_000;
const CONTINUE_VERSION = 'meta.k8s.io/v1';

function gr(def: ResourceDef): { group: string; resource: string } {
  return { group: def.group, resource: def.resource };
}

function invalid(def: ResourceDef, name: string, errs: FieldError[]): KubeError {
  return kubeErrors.invalid(def.kind, def.group, name, errs);
}

export function fieldValue(def: ResourceDef, obj: KubeObject, field: string): string {
  if (field === 'metadata.name') return obj.metadata.name ?? '';
  if (field === 'metadata.namespace') return obj.metadata.namespace ?? '';
  const f = def.fieldSelectors[field];
  return f ? f(obj) : '';
}

/** Rejects field selectors on fields the resource does not index (kube-apiserver: "field label not supported"). */
export function checkFieldSelector(def: ResourceDef, reqs: FieldRequirement[] | undefined): void {
  for (const r of reqs ?? []) {
    if (r.field !== 'metadata.name' && r.field !== 'metadata.namespace' && !(r.field in def.fieldSelectors)) {
      throw kubeErrors.badRequest(`field label not supported: ${r.field}`);
    }
  }
}

export function matches(def: ResourceDef, obj: KubeObject, opts: { labelSelector?: LabelRequirement[]; fieldSelector?: FieldRequirement[] }): boolean {
  if (opts.labelSelector && opts.labelSelector.length > 0 && !matchesLabels(opts.labelSelector, obj.metadata.labels)) return false;
  if (opts.fieldSelector && opts.fieldSelector.length > 0 && !matchesFields(opts.fieldSelector, (f) => fieldValue(def, obj, f))) return false;
  return true;
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

function encodeContinue(rv: number, lastKey: string, prefix: string): string {
  const token: ContinueToken = { v: CONTINUE_VERSION, rv, start: `${lastKey.slice(prefix.length)}\u0000` };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(token: string, prefix: string): { rv: number; after: string } {
  let parsed: ContinueToken;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
  } catch {
    throw kubeErrors.badRequest('continue key is not valid: illegal base64 data or not a continue token');
  }
  if (parsed?.v !== CONTINUE_VERSION || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string' || !parsed.start.endsWith('\u0000')) {
    throw kubeErrors.badRequest(`continue key is not valid: server does not recognize this encoded key`);
  }
  const rel = parsed.start.slice(0, -1);
  if (rel.includes('..') || rel.startsWith('/')) throw kubeErrors.badRequest('continue key is not valid: key is not a relative path');
  return { rv: parsed.rv, after: `${prefix}${rel}` };
}

function parseRv(value: string, what = 'resourceVersion'): number {
  if (!/^\d+$/.test(value)) throw kubeErrors.badRequest(`invalid ${what}: ${JSON.stringify(value)} is not a resource version`);
  return Number(value);
}

/** Object metadata the server owns: what a create must not take from the client. */
function stripServerOwnedOnCreate(obj: KubeObject): void {
  const m = obj.metadata;
  delete m.uid;
  delete m.creationTimestamp;
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  delete m.generation;
  delete m.selfLink;
  delete m.managedFields;
}

export class Registry {
  constructor(
    readonly storage: ObjectStorage,
    private readonly clock: Clock,
  ) {}

  now(): Date {
    return this.clock.now();
  }

  private ctx() {
    return { now: this.clock.now() };
  }

  private scopeNamespace(def: ResourceDef, ns: string | undefined): string | undefined {
    return def.namespaced ? ns : undefined;
  }

  async getStored<T extends KubeObject>(def: ResourceDef<any>, ns: string | undefined, name: string): Promise<StoredObject<T>> {
    const stored = await this.storage.get<T>(def.resource, this.scopeNamespace(def, ns), name);
    if (!stored) throw kubeErrors.notFound(gr(def), name);
    return stored;
  }

  async get<T extends KubeObject>(def: ResourceDef<any>, ns: string | undefined, name: string): Promise<T> {
    return this.withTypeMeta(def, (await this.getStored<T>(def, ns, name)).obj);
  }

  async tryGet<T extends KubeObject>(def: ResourceDef<any>, ns: string | undefined, name: string): Promise<T | undefined> {
    const stored = await this.storage.get<T>(def.resource, this.scopeNamespace(def, ns), name);
    return stored ? this.withTypeMeta(def, stored.obj) : undefined;
  }

  withTypeMeta<T extends KubeObject>(def: ResourceDef, obj: T): T {
    return { apiVersion: apiVersionOf(def), kind: def.kind, ...obj } as T;
  }

  /** Waits until the store has reached `rv` (a client read-after-write from another server), or 504. */
  private async awaitRevision(rv: number): Promise<number> {
    const deadline = Date.now() + RV_WAIT_MS;
    for (;;) {
      const current = await this.storage.revision();
      if (current >= rv) return current;
      if (Date.now() > deadline) {
        throw new KubeError(504, 'Timeout', `Too large resource version: ${rv}, current: ${current}`, {
          causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
          retryAfterSeconds: 1,
        }, { 'Retry-After': '1' });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async list<T extends KubeObject>(def: ResourceDef<any>, ns: string | undefined, opts: ListOptions = {}): Promise<ListResult<T>> {
    checkFieldSelector(def, opts.fieldSelector);
    if (opts.resourceVersionMatch && opts.resourceVersion === undefined) {
      throw kubeErrors.invalid('ListOptions', 'meta.k8s.io', '', [
        { type: 'FieldValueForbidden', field: 'resourceVersionMatch', detail: 'resourceVersionMatch is forbidden unless resourceVersion is provided' },
      ]);
    }
    if (opts.continueToken && opts.resourceVersion && opts.resourceVersion !== '0') {
      throw kubeErrors.badRequest('specifying resource version is not allowed when using continue');
    }
    const scopeNs = this.scopeNamespace(def, ns);
    const prefix = this.storage.collectionPrefix(def.resource, scopeNs);
    let after: string | undefined;
    let listRv: number | undefined;
    if (opts.continueToken) {
      const c = decodeContinue(opts.continueToken, prefix);
      after = c.after;
      listRv = c.rv;
    } else if (opts.resourceVersion && opts.resourceVersion !== '0') {
      const rv = parseRv(opts.resourceVersion);
      const current = await this.awaitRevision(rv);
      if (opts.resourceVersionMatch === 'Exact' && rv !== current) {
        // aksemu keeps no snapshots of past revisions (the store serves the current state only).
        throw kubeErrors.gone(`too old resource version: ${rv} (${current})`);
      }
    }
    const filtering = (opts.labelSelector?.length ?? 0) > 0 || (opts.fieldSelector?.length ?? 0) > 0;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
    const items: T[] = [];
    let revision = 0;
    let more = false;
    let lastKey: string | undefined;
    // Read pages until `limit` matching items are found or the collection ends (as the etcd3 store does).
    for (;;) {
      const page = await this.storage.list<T>(def.resource, scopeNs, { ...(limit ? { limit: filtering ? Math.max(limit, 100) : limit - items.length } : {}), ...(after ? { after } : {}) });
      if (revision === 0) revision = page.revision;
      for (const item of page.items) {
        lastKey = item.key;
        if (!filtering || matches(def, item.obj, opts)) {
          items.push(item.obj);
          if (limit && items.length >= limit) break;
        }
      }
      const stoppedEarly = limit !== undefined && items.length >= limit && lastKey !== page.lastKey;
      more = page.more || stoppedEarly;
      if (!limit || items.length >= limit || !page.more) break;
      after = page.lastKey;
    }
    const rv = listRv ?? revision;
    const result: ListResult<T> = { items, resourceVersion: String(rv) };
    if (limit && more && lastKey) result.continueToken = encodeContinue(rv, lastKey, prefix);
    return result;
  }

  /** NamespaceLifecycle admission: the namespace must exist and not be terminating. */
  private async admitNamespace(def: ResourceDef, ns: string, name: string): Promise<void> {
    const stored = await this.storage.get<Namespace>('namespaces', undefined, ns);
    if (!stored) throw kubeErrors.notFound({ group: '', resource: 'namespaces' }, ns);
    if (stored.obj.status?.phase === 'Terminating' || stored.obj.metadata.deletionTimestamp) {
      throw kubeErrors.forbidden(gr(def), name, `unable to create new content in namespace ${ns} because it is being terminated`);
    }
  }

  async create<T extends KubeObject>(def: ResourceDef<any>, ns: string | undefined, input: T, opts: WriteOptions = {}): Promise<T> {
    const obj = clone(input);
    obj.metadata ??= {};
    if (def.namespaced) {
      if (!obj.metadata.namespace) obj.metadata.namespace = ns;
      else if (ns && obj.metadata.namespace !== ns) {
        throw kubeErrors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
    } else {
      delete obj.metadata.namespace;
    }
    if (obj.metadata.resourceVersion) throw kubeErrors.badRequest('resourceVersion should not be set on objects to be created');
    if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = generateName(obj.metadata.generateName);
    stripServerOwnedOnCreate(obj);
    const ctx = this.ctx();
    def.prepareForCreate?.(obj, ctx);
    def.defaults?.(obj);
    const errs = [...validateObjectMeta(obj.metadata, { namespaced: def.namespaced, nameFormat: def.nameFormat }), ...(def.validate?.(obj) ?? [])];
    if (errs.length > 0) throw invalid(def, obj.metadata.name ?? '', errs);
    if (def.namespaced) await this.admitNamespace(def, obj.metadata.namespace!, obj.metadata.name!);
    obj.metadata.uid = randomUUID();
    obj.metadata.creationTimestamp = kubeTime(ctx.now);
    if (def.generation) obj.metadata.generation = 1;
    const typed = this.withTypeMeta(def, obj);
    if (opts.dryRun) return typed;
    const res = await this.storage.put(def.resource, typed, 0);
    if (!res.ok) throw kubeErrors.alreadyExists(gr(def), obj.metadata.name!);
    return res.stored.obj;
  }

  /**
   * Replaces an object (PUT), or only its status (`subresource` 'status'). `obj.metadata.resourceVersion`, when
   * set, must be the current one (409 otherwise).
   */
  async update<T extends KubeObject>(
    def: ResourceDef<any>,
    ns: string | undefined,
    name: string,
    input: T,
    opts: WriteOptions & { subresource?: string } = {},
  ): Promise<{ obj: T; created: boolean }> {
    const scopeNs = this.scopeNamespace(def, ns);
    if ((input.metadata?.name ?? '') !== name) {
      throw kubeErrors.badRequest(`the name of the object (${input.metadata?.name ?? ''}) does not match the name on the URL (${name})`);
    }
    if (def.namespaced && input.metadata?.namespace && ns && input.metadata.namespace !== ns) {
      throw kubeErrors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const unconditional = !input.metadata?.resourceVersion;
    for (let attempt = 0; ; attempt++) {
      const current = await this.storage.get<T>(def.resource, scopeNs, name);
      if (!current) {
        if (def.allowCreateOnUpdate && !opts.subresource) {
          const { resourceVersion: _rv, ...meta } = input.metadata ?? {};
          return { obj: await this.create(def, ns, { ...input, metadata: { ...meta, name } }, opts), created: true };
        }
        throw kubeErrors.notFound(gr(def), name);
      }
      const next = this.prepareUpdate(def, current, input, opts.subresource);
      if (opts.dryRun) return { obj: next, created: false };
      if (this.shouldDeleteDuringUpdate(current.obj, next)) {
        const del = await this.storage.delete(def.resource, scopeNs, name, current.modRevision);
        if (del.ok) return { obj: { ...next, metadata: { ...next.metadata, resourceVersion: String(del.revision) } }, created: false };
      } else {
        const res = await this.storage.put(def.resource, next, current.modRevision);
        if (res.ok) return { obj: res.stored.obj, created: false };
      }
      if (!unconditional || attempt >= 10) throw kubeErrors.staleUpdate(gr(def), name);
    }
  }

  /** The object an update writes: preconditions, server-owned fields, strategy, validation, generation. */
  private prepareUpdate<T extends KubeObject>(def: ResourceDef<any>, current: StoredObject<T>, input: T, subresource: string | undefined): T {
    const old = current.obj;
    const next = clone(input);
    next.metadata ??= {};
    const name = old.metadata.name!;
    if (next.metadata.resourceVersion && next.metadata.resourceVersion !== String(current.modRevision)) {
      throw kubeErrors.staleUpdate(gr(def), name);
    }
    if (next.metadata.uid && next.metadata.uid !== old.metadata.uid) {
      throw kubeErrors.conflict(gr(def), name, `Precondition failed: UID in precondition: ${next.metadata.uid}, UID in object meta: ${old.metadata.uid}`);
    }
    next.metadata.name = name;
    if (def.namespaced) next.metadata.namespace = old.metadata.namespace;
    else delete next.metadata.namespace;
    next.metadata.uid = old.metadata.uid;
    next.metadata.creationTimestamp = old.metadata.creationTimestamp;
    if (old.metadata.deletionTimestamp) next.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
    else delete next.metadata.deletionTimestamp;
    if (old.metadata.deletionGracePeriodSeconds !== undefined) next.metadata.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    else delete next.metadata.deletionGracePeriodSeconds;
    if (old.metadata.generation !== undefined) next.metadata.generation = old.metadata.generation;
    else delete next.metadata.generation;
    delete next.metadata.selfLink;
    delete next.metadata.managedFields;
    if (subresource === 'status') {
      // A status update changes status only (metadata stays as stored, but labels and annotations).
      next.metadata = { ...old.metadata, labels: next.metadata.labels, annotations: next.metadata.annotations };
      if (next.metadata.labels === undefined) delete next.metadata.labels;
      if (next.metadata.annotations === undefined) delete next.metadata.annotations;
    }
    def.prepareForUpdate?.(next, old, subresource);
    def.defaults?.(next);
    const errs = [
      ...validateObjectMeta(next.metadata, { namespaced: def.namespaced, nameFormat: def.nameFormat }),
      ...(def.validate?.(next) ?? []),
      ...(def.validateUpdate?.(next, old, subresource) ?? []),
    ];
    if (errs.length > 0) throw invalid(def, name, errs);
    if (def.generation && def.specOf && !deepEqual(def.specOf(next), def.specOf(old))) {
      next.metadata.generation = (old.metadata.generation ?? 0) + 1;
    }
    delete next.metadata.resourceVersion;
    return this.withTypeMeta(def, next);
  }

  /** Finalizers removed from an object whose deletion was waiting for them: the update deletes it. */
  private shouldDeleteDuringUpdate(old: KubeObject, next: KubeObject): boolean {
    if (!next.metadata.deletionTimestamp) return false;
    if ((next.metadata.finalizers ?? []).length > 0) return false;
    if (next.kind === 'Namespace' && ((next as Namespace).spec?.finalizers ?? []).length > 0) return false;
    const grace = next.metadata.deletionGracePeriodSeconds;
    const hadFinalizers = (old.metadata.finalizers ?? []).length > 0 || (old.kind === 'Namespace' && ((old as Namespace).spec?.finalizers ?? []).length > 0);
    return hadFinalizers && (grace === undefined || grace === 0);
  }

  async patch<T extends KubeObject>(
    def: ResourceDef<any>,
    ns: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions & { subresource?: string; fieldValidation: FieldValidation },
  ): Promise<{ obj: T; warnings: string[] }> {
    const scopeNs = this.scopeNamespace(def, ns);
    if (type === 'json') {
      if (!Array.isArray(patch)) throw kubeErrors.badRequest(`json: cannot unmarshal ${patch === null ? 'null' : typeof patch} into Go value of type jsonpatch.Patch`);
      if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
        throw new KubeError(413, 'RequestEntityTooLarge', `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`);
      }
    } else if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      throw kubeErrors.badRequest(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : patch === null ? 'null' : typeof patch} into Go value of type map[string]interface {}`);
    }
    for (let attempt = 0; ; attempt++) {
      const current = await this.getStored<T>(def, ns, name);
      const base = this.withTypeMeta(def, clone(current.obj)) as unknown as Record<string, unknown>;
      let patched: unknown;
      try {
        patched = applyPatch(def, base, type, patch);
      } catch (err) {
        if (err instanceof PatchError) throw new KubeError(err.status, err.status === 400 ? 'BadRequest' : 'Invalid', err.message);
        throw err;
      }
      const { obj, warnings } = decodeAsKind(def, { value: patched, duplicates: [] }, opts.fieldValidation, 'patch', {
        kind: def.kind,
        apiVersion: apiVersionOf(def),
      });
      // A patch applies to the version read; a resourceVersion it sets itself is a precondition.
      const patchedRv = (obj.metadata.resourceVersion as string | undefined) ?? String(current.modRevision);
      obj.metadata.resourceVersion = patchedRv;
      const next = this.prepareUpdate(def, current, obj as T, opts.subresource);
      if (opts.dryRun) return { obj: next, warnings };
      if (this.shouldDeleteDuringUpdate(current.obj, next)) {
        const del = await this.storage.delete(def.resource, scopeNs, name, current.modRevision);
        if (del.ok) return { obj: { ...next, metadata: { ...next.metadata, resourceVersion: String(del.revision) } }, warnings };
      } else {
        const res = await this.storage.put(def.resource, next, current.modRevision);
        if (res.ok) return { obj: res.stored.obj, warnings };
      }
      if (patchedRv !== String(current.modRevision) || attempt >= 10) throw kubeErrors.staleUpdate(gr(def), name);
    }
  }

  /**
   * Deletes an object, gracefully where the kind says so: pods on a node get a deletionTimestamp and their
   * kubelet removes them; objects with finalizers wait for them. Answers the object and whether it is gone.
   */
  async delete<T extends KubeObject>(def: ResourceDef<any>, ns: string | undefined, name: string, opts: DeleteOptions = {}): Promise<{ obj: T; deleted: boolean }> {
    const scopeNs = this.scopeNamespace(def, ns);
    if (opts.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(opts.propagationPolicy)) {
      throw kubeErrors.invalid('DeleteOptions', 'meta.k8s.io', '', [
        { type: 'FieldValueNotSupported', field: 'propagationPolicy', value: opts.propagationPolicy, detail: 'supported values: "Foreground", "Background", "Orphan", "nil"' },
      ]);
    }
    if (opts.gracePeriodSeconds !== undefined && opts.gracePeriodSeconds < 0) opts.gracePeriodSeconds = 1;
    if (def.resource === 'namespaces' && IMMORTAL_NAMESPACES.includes(name)) {
      throw kubeErrors.forbidden(gr(def), name, 'this namespace may not be deleted');
    }
    for (let attempt = 0; ; attempt++) {
      const current = await this.getStored<T>(def, ns, name);
      const obj = this.withTypeMeta(def, current.obj);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== obj.metadata.uid) {
        throw kubeErrors.conflict(gr(def), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== String(current.modRevision)) {
        throw kubeErrors.conflict(gr(def), name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.modRevision}`);
      }
      const pending = this.pendingDeletion(def, obj, opts);
      if (pending) {
        if (opts.dryRun) return { obj: pending, deleted: false };
        if (deepEqual(pending, obj)) return { obj, deleted: false };
        delete pending.metadata.resourceVersion;
        const res = await this.storage.put(def.resource, pending, current.modRevision);
        if (res.ok) return { obj: res.stored.obj, deleted: false };
      } else {
        if (opts.dryRun) return { obj, deleted: true };
        const res = await this.storage.delete(def.resource, scopeNs, name, current.modRevision);
        if (res.ok) return { obj, deleted: true };
      }
      if (attempt >= 10) throw kubeErrors.staleUpdate(gr(def), name);
    }
  }

  /** The object with its deletion recorded, when it must wait (graceful pod deletion, finalizers), else undefined. */
  private pendingDeletion<T extends KubeObject>(def: ResourceDef, obj: T, opts: DeleteOptions): T | undefined {
    const now = this.clock.now();
    const next = clone(obj);
    const m = next.metadata;
    if (def.resource === 'namespaces') {
      const ns = next as unknown as Namespace;
      if ((ns.spec?.finalizers ?? []).length === 0 && (m.finalizers ?? []).length === 0) return undefined;
      m.deletionTimestamp ??= kubeTime(now);
      m.deletionGracePeriodSeconds ??= 0;
      ns.status = { ...(ns.status ?? {}), phase: 'Terminating' };
      return next;
    }
    let grace = 0;
    if (def.resource === 'pods') {
      const pod = next as unknown as Pod;
      grace = opts.gracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      // Pods that never reached a node, or have finished, have nothing to stop: deleted at once.
      if (!pod.spec?.nodeName || pod.status?.phase === 'Failed' || pod.status?.phase === 'Succeeded') grace = 0;
      if (m.deletionTimestamp && m.deletionGracePeriodSeconds !== undefined && grace >= m.deletionGracePeriodSeconds) {
        // Already terminating with an equal or shorter grace period: nothing changes.
        return (m.finalizers ?? []).length > 0 || grace > 0 ? next : undefined;
      }
    }
    if (grace > 0) {
      m.deletionTimestamp = kubeTime(new Date(now.getTime() + grace * 1000));
      m.deletionGracePeriodSeconds = grace;
      return next;
    }
    if ((m.finalizers ?? []).length > 0) {
      m.deletionTimestamp ??= kubeTime(now);
      m.deletionGracePeriodSeconds = 0;
      return next;
    }
    return undefined;
  }

  async deleteCollection(def: ResourceDef<any>, ns: string | undefined, listOpts: ListOptions, opts: DeleteOptions): Promise<KubeObject[]> {
    const { items } = await this.list(def, ns, { ...listOpts, limit: undefined, continueToken: undefined });
    const out: KubeObject[] = [];
    for (const item of items) {
      try {
        out.push((await this.delete(def, item.metadata.namespace, item.metadata.name!, opts)).obj);
      } catch (err) {
        if (!(err instanceof KubeError && err.code === 404)) throw err;
      }
    }
    return out;
  }

  /** pods/binding: assigns a pending pod to a node (what the scheduler does). */
  async bind(ns: string, name: string, nodeName: string, podDef: ResourceDef<any>, opts: WriteOptions = {}): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.getStored<Pod>(podDef, ns, name);
      const pod = clone(current.obj);
      if (pod.metadata.deletionTimestamp) throw kubeErrors.conflict(gr(podDef), name, 'pod is being deleted, cannot be assigned to a host');
      if (pod.spec?.nodeName) throw kubeErrors.conflict(gr(podDef), name, `pod ${name} is already assigned to node "${pod.spec.nodeName}"`);
      pod.spec!.nodeName = nodeName;
      const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null as unknown as string, lastTransitionTime: kubeTime(this.clock.now()) });
      pod.status = { ...(pod.status ?? {}), conditions };
      if (opts.dryRun) return;
      delete pod.metadata.resourceVersion;
      const res = await this.storage.put(podDef.resource, this.withTypeMeta(podDef, pod), current.modRevision);
      if (res.ok) return;
      if (attempt >= 10) throw kubeErrors.staleUpdate(gr(podDef), name);
    }
  }
}

/** Applies a patch document to an object (as JSON). Throws PatchError for patches that cannot apply. */
export function applyPatch(def: ResourceDef, base: Record<string, unknown>, type: PatchType, patch: unknown): unknown {
  if (type === 'merge') return jsonMergePatch.apply(clone(base), patch);
  if (type === 'strategic') return strategicMerge(base, patch, def.model, fieldType);
  try {
    return jsonPatch.applyPatch(clone(base), patch as jsonPatch.Operation[], true, false).newDocument;
  } catch (err) {
    if (err instanceof jsonPatch.JsonPatchError) {
      const structural = ['SEQUENCE_NOT_AN_ARRAY', 'OPERATION_NOT_AN_OBJECT', 'OPERATION_OP_INVALID', 'OPERATION_PATH_INVALID', 'OPERATION_FROM_REQUIRED', 'OPERATION_VALUE_REQUIRED'];
      throw new PatchError(err.message.split('\n')[0]!, structural.includes(err.name) ? 400 : 422);
    }
    throw err;
  }
}

