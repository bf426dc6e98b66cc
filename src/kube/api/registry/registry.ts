/**
 * The generic registry of one cluster: create, get, list, update, patch, delete and watch with the semantics of
 * kube-apiserver's generic registry store over etcd (the Kubernetes API conventions):
 *
 * - resourceVersion is the etcd mod revision; an update carrying a stale one is a 409 Conflict; an update
 *   without one is unconditional; uid/creationTimestamp are set once; generation counts spec changes;
 * - lists page in key order (`limit`/`continue`) and filter by label and field selectors;
 * - graceful deletion (the kind's `gracePeriod`: pods on a node get a deletionTimestamp and are removed by their
 *   kubelet), finalizers, DeleteOptions preconditions;
 * - `dryRun=All` runs every step except the write;
 * - every write goes through the storage transformer (ObjectStorage), so an update always re-encodes: a
 *   `get | replace` of an object stored in a stale form rewrites it in the current form (SPEC K-2).
 *
 * Every write of an existing object (update, status, patch, delete, binding) is one `guaranteedUpdate`: read,
 * decide, compare-and-swap on the mod revision read, and on a conflict read again, as kube-apiserver's
 * GuaranteedUpdate does. What is specific to a kind is in its ResourceDef hooks (strategy.ts applies them).
 *
 * Updates are always written, even when they change nothing: kube-apiserver skips a write whose bytes are
 * unchanged and not stale, but the KMS article's `get secrets -o json | kubectl replace -f -` must rewrite every
 * secret (resourceVersion bumped), which is also what makes a storage migration independent of staleness checks.
 *
 * Both the HTTP layer and the in-process controllers (scheduler, kubelets, namespace controller) use this class,
 * so controller writes get the same validation and conflict detection as clients'.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../../runtime/clock.js';
import { kubeErrors, KubeError } from '../machinery/errors.js';
import { apiVersionOf, type ResourceDef } from '../machinery/resource.js';
import type { FieldRequirement, LabelRequirement } from '../machinery/selectors.js';
import type { Namespace } from '../machinery/types.js';
import { validateObjectMeta } from '../machinery/validation.js';
import { kubeTime } from '../../util/age.js';
import { clone, deepEqual } from '../../util/deep.js';
import { generateName } from '../../util/names.js';
import type { ObjectStorage, StoredObject } from '../../storage/object-storage.js';
import type { KubeObject } from '../../../clusters/stored-object.js';
import { decodeContinue, encodeContinue, parseRv } from './continue-token.js';
import { decodeAsKind, type FieldValidation } from './decode.js';
import { applyPatch, checkPatchDocument, type PatchType } from './patch.js';
import { checkFieldSelector, matches } from './selection.js';
import { checkPatchedName, gr, invalid, pendingDeletion, prepareUpdate, shouldDeleteDuringUpdate, stripServerOwnedOnCreate, withTypeMeta, type FieldsUpdate } from './strategy.js';
import { applyConfiguration, recordUpdate } from './managed-fields.js';

export type { PatchType } from './patch.js';

export interface WriteOptions {
  dryRun?: boolean;
  /** Admission of the object about to be written (after defaulting and validation); throws to refuse. */
  admit?: (obj: KubeObject) => Promise<void>;
  /**
   * Who writes, for metadata.managedFields (SPEC W-18): `?fieldManager=` or the User-Agent's product; else the
   * registry's own manager (`Registry.as`); a write with neither leaves managed fields as they are.
   */
  fieldManager?: string;
}

/** An apply's options (SPEC W-19). */
export interface ApplyOptions extends WriteOptions {
  fieldManager: string;
  force: boolean;
  subresource?: string;
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
  /** The items after this page, when there is one and no selector filters (kube-apiserver counts only then). */
  remainingItemCount?: number;
}

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
}

/**
 * What one attempt of a guaranteed update decided from the object it read: write nothing and answer `result`,
 * write `obj` in its place, or delete it; `result` of a write gets the object as stored (or the delete's revision).
 */
export type UpdateStep<T extends KubeObject, R> =
  | { write: 'none'; result: R }
  | { write: 'put'; obj: T; result: (stored: T) => R }
  | { write: 'delete'; result: (revision: number) => R };

/** How much of the cluster-wide "not older than" wait to allow before answering 504 (kube-apiserver: 3 s). */
const RV_WAIT_MS = 3000;
/** Conflicting writes a guaranteed update retries before it answers 409. */
const MAX_UPDATE_RETRIES = 10;

/** A dry run's answer: the object as it would be written, still at the revision read (nothing was written). */
function unwritten<T extends KubeObject>(next: T, current: StoredObject<T>): T {
  return { ...next, metadata: { ...next.metadata, resourceVersion: String(current.modRevision) } };
}

export class Registry {
  constructor(
    readonly storage: ObjectStorage,
    private readonly clock: Clock,
    private readonly manager?: string,
  ) {}

  /** This registry writing as `manager` (an in-process controller's name in managed fields). */
  as(manager: string): Registry {
    return new Registry(this.storage, this.clock, manager);
  }

  /** How a write records its managed fields. */
  private tracking(opts: WriteOptions, subresource?: string): FieldsUpdate {
    const manager = opts.fieldManager ?? this.manager;
    if (manager === undefined) return 'unchanged';
    return { manager, ...(subresource ? { subresource } : {}), now: kubeTime(this.clock.now()) };
  }

  now(): Date {
    return this.clock.now();
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
    return withTypeMeta(def, obj);
  }

  /**
   * Read-modify-write of one object with compare-and-swap (kube-apiserver's GuaranteedUpdate): `tryUpdate` gets
   * the object as stored now (undefined when absent) and decides; a write conditional on the mod revision read
   * that loses to a concurrent one reads again and asks `tryUpdate` again, up to MAX_UPDATE_RETRIES times (409).
   * `tryUpdate` throws to refuse (its preconditions see the object read, so a stale precondition fails there).
   */
  async guaranteedUpdate<T extends KubeObject, R>(
    def: ResourceDef<any>,
    ns: string | undefined,
    name: string,
    tryUpdate: (current: StoredObject<T> | undefined) => Promise<UpdateStep<T, R>> | UpdateStep<T, R>,
  ): Promise<R> {
    const scopeNs = this.scopeNamespace(def, ns);
    for (let attempt = 0; ; attempt++) {
      const current = await this.storage.get<T>(def.resource, scopeNs, name);
      const step = await tryUpdate(current);
      if (step.write === 'none') return step.result;
      const expected = current?.modRevision ?? 0;
      if (step.write === 'put') {
        const res = await this.storage.put(def.resource, step.obj, expected);
        if (res.ok) return step.result(res.stored.obj);
      } else {
        const res = await this.storage.delete(def.resource, scopeNs, name, expected);
        if (res.ok) return step.result(res.revision);
      }
      if (attempt >= MAX_UPDATE_RETRIES) throw kubeErrors.staleUpdate(gr(def), name);
    }
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
    if (limit && more && lastKey) {
      result.continueToken = encodeContinue(rv, lastKey, prefix);
      if (!filtering) result.remainingItemCount = await this.storage.countAfter(def.resource, scopeNs, lastKey);
    }
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

  async create<T extends KubeObject>(def: ResourceDef<any>, ns: string | undefined, input: T, opts: WriteOptions & { applied?: boolean } = {}): Promise<T> {
    const typed = await this.prepareCreate(def, ns, input, opts);
    if (opts.dryRun) return typed;
    const res = await this.storage.put(def.resource, typed, 0);
    if (!res.ok) throw kubeErrors.alreadyExists(gr(def), typed.metadata.name!);
    return res.stored.obj;
  }

  /**
   * Creates new objects, each in its own namespace, in as few store transactions as the store allows (a controller
   * pass's events): each object is checked and prepared as `create` does, and one that is refused (its namespace
   * terminating, a name taken meanwhile) is left out, as upstream's event recorder drops an event it cannot write.
   */
  async createMany<T extends KubeObject>(def: ResourceDef<any>, inputs: T[]): Promise<void> {
    const ready: T[] = [];
    for (const input of inputs) {
      try {
        ready.push(await this.prepareCreate(def, input.metadata.namespace, input, {}));
      } catch (err) {
        if (!(err instanceof KubeError)) throw err;
      }
    }
    if (ready.length > 0) await this.storage.createAll(def.resource, ready);
  }

  /** Everything `create` does before the write: defaults, validation, admission, server-set fields. */
  private async prepareCreate<T extends KubeObject>(def: ResourceDef<any>, ns: string | undefined, input: T, opts: WriteOptions & { applied?: boolean }): Promise<T> {
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
    const now = this.clock.now();
    // Assigned before the strategy runs, as kube-apiserver's BeforeCreate does: a Job's generated selector names it.
    obj.metadata.uid = randomUUID();
    def.prepareForCreate?.(obj, { now });
    def.defaults?.(obj);
    const errs = [...validateObjectMeta(obj.metadata, { namespaced: def.namespaced, nameFormat: def.nameFormat }), ...(def.validate?.(obj) ?? [])];
    if (errs.length > 0) throw invalid(def, obj.metadata.name ?? '', errs);
    if (def.namespaced) await this.admitNamespace(def, obj.metadata.namespace!, obj.metadata.name!);
    await def.admitCreate?.(obj, (d, namespace, name) => this.tryGet(d, namespace, name));
    await opts.admit?.(obj);
    obj.metadata.creationTimestamp = kubeTime(now);
    if (def.generation) obj.metadata.generation = 1;
    const fields = opts.applied ? 'applied' : this.tracking(opts);
    if (typeof fields === 'object') recordUpdate(def, undefined, obj, fields);
    else if (fields === 'unchanged') delete obj.metadata.managedFields;
    return this.withTypeMeta(def, obj);
  }

  /** The write of an update's result: a put, or the delete of an object whose last finalizer it removed. */
  private writeUpdated<T extends KubeObject, R>(def: ResourceDef<any>, current: StoredObject<T>, next: T, result: (obj: T) => R): UpdateStep<T, R> {
    if (shouldDeleteDuringUpdate(def, current.obj, next)) {
      return { write: 'delete', result: (revision) => result({ ...next, metadata: { ...next.metadata, resourceVersion: String(revision) } }) };
    }
    return { write: 'put', obj: next, result };
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
    if ((input.metadata?.name ?? '') !== name) {
      throw kubeErrors.badRequest(`the name of the object (${input.metadata?.name ?? ''}) does not match the name on the URL (${name})`);
    }
    if (def.namespaced && input.metadata?.namespace && ns && input.metadata.namespace !== ns) {
      throw kubeErrors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    return this.guaranteedUpdate<T, Promise<{ obj: T; created: boolean }>>(def, ns, name, async (current) => {
      if (!current) {
        if (def.allowCreateOnUpdate && !opts.subresource) {
          const { resourceVersion: _rv, ...meta } = input.metadata ?? {};
          return { write: 'none', result: this.create(def, ns, { ...input, metadata: { ...meta, name } }, opts).then((obj) => ({ obj, created: true })) };
        }
        throw kubeErrors.notFound(gr(def), name);
      }
      const next = prepareUpdate(def, current, input, opts.subresource, this.tracking(opts, opts.subresource));
      await opts.admit?.(next);
      if (opts.dryRun) return { write: 'none', result: Promise.resolve({ obj: unwritten(next, current), created: false }) };
      return this.writeUpdated(def, current, next, async (obj) => ({ obj, created: false }));
    });
  }

  async patch<T extends KubeObject>(
    def: ResourceDef<any>,
    ns: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions & { subresource?: string; fieldValidation: FieldValidation },
  ): Promise<{ obj: T; warnings: string[] }> {
    checkPatchDocument(type, patch);
    return this.guaranteedUpdate<T, { obj: T; warnings: string[] }>(def, ns, name, async (current) => {
      if (!current) throw kubeErrors.notFound(gr(def), name);
      const base = this.withTypeMeta(def, clone(current.obj)) as unknown as Record<string, unknown>;
      const patched = applyPatch(def, base, type, patch);
      const { obj, warnings } = decodeAsKind(def, { value: patched, duplicates: [] }, opts.fieldValidation, 'patch', {
        kind: def.kind,
        apiVersion: apiVersionOf(def),
      });
      checkPatchedName(def, obj, ns, name);
      // A patch applies to the version read; a resourceVersion it sets itself is a precondition.
      obj.metadata.resourceVersion = (obj.metadata.resourceVersion as string | undefined) ?? String(current.modRevision);
      const next = prepareUpdate(def, current, obj as T, opts.subresource, this.tracking(opts, opts.subresource));
      await opts.admit?.(next);
      if (opts.dryRun) return { write: 'none', result: { obj: unwritten(next, current), warnings } };
      return this.writeUpdated(def, current, next, (stored) => ({ obj: stored, warnings }));
    });
  }

  /**
   * Server-side apply (SPEC W-19): `config` (decoded, named as the URL) merged into the object as its manager's,
   * or the object created from it when absent; 409 on fields other managers own unless `force`.
   */
  async apply<T extends KubeObject>(def: ResourceDef<any>, ns: string | undefined, name: string, config: T, opts: ApplyOptions): Promise<{ obj: T; created: boolean }> {
    const tracking = { manager: opts.fieldManager, ...(opts.subresource ? { subresource: opts.subresource } : {}), now: kubeTime(this.clock.now()), force: opts.force };
    return this.guaranteedUpdate<T, Promise<{ obj: T; created: boolean }>>(def, ns, name, async (current) => {
      if (!current) {
        if (opts.subresource) throw kubeErrors.notFound(gr(def), name);
        const fresh = applyConfiguration(def, undefined, config, tracking) as T;
        return { write: 'none', result: this.create(def, ns, fresh, { ...opts, applied: true }).then((obj) => ({ obj, created: true })) };
      }
      const merged = applyConfiguration(def, current.obj, config, tracking) as T;
      const next = prepareUpdate(def, current, merged, opts.subresource, 'applied');
      await opts.admit?.(next);
      if (opts.dryRun) return { write: 'none', result: Promise.resolve({ obj: unwritten(next, current), created: false }) };
      return this.writeUpdated(def, current, next, async (stored) => ({ obj: stored, created: false }));
    });
  }

  /**
   * Deletes an object, gracefully where the kind says so (`gracePeriod`: pods on a node get a deletionTimestamp
   * and their kubelet removes them); objects with finalizers wait for them. Answers the object and whether it is
   * gone.
   */
  async delete<T extends KubeObject>(def: ResourceDef<any>, ns: string | undefined, name: string, opts: DeleteOptions = {}): Promise<{ obj: T; deleted: boolean }> {
    if (opts.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(opts.propagationPolicy)) {
      throw kubeErrors.invalid('DeleteOptions', 'meta.k8s.io', '', [
        { type: 'FieldValueNotSupported', field: 'propagationPolicy', value: opts.propagationPolicy, detail: 'supported values: "Foreground", "Background", "Orphan", "nil"' },
      ]);
    }
    if (opts.gracePeriodSeconds !== undefined && opts.gracePeriodSeconds < 0) opts.gracePeriodSeconds = 1;
    def.beforeDelete?.(name);
    return this.guaranteedUpdate<T, { obj: T; deleted: boolean }>(def, ns, name, (current) => {
      if (!current) throw kubeErrors.notFound(gr(def), name);
      const obj = this.withTypeMeta(def, current.obj);
      const pre = opts.preconditions;
      if (pre?.uid && pre.uid !== obj.metadata.uid) {
        throw kubeErrors.conflict(gr(def), name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== String(current.modRevision)) {
        throw kubeErrors.conflict(gr(def), name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.modRevision}`);
      }
      const pending = pendingDeletion(def, obj, opts.gracePeriodSeconds, this.clock.now(), opts.propagationPolicy);
      if (!pending) {
        if (opts.dryRun) return { write: 'none', result: { obj, deleted: true } };
        return { write: 'delete', result: () => ({ obj, deleted: true }) };
      }
      if (opts.dryRun) return { write: 'none', result: { obj: pending, deleted: false } };
      if (deepEqual(pending, obj)) return { write: 'none', result: { obj, deleted: false } };
      delete pending.metadata.resourceVersion;
      return { write: 'put', obj: pending, result: (stored) => ({ obj: stored, deleted: false }) };
    });
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
}
