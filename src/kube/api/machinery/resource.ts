/**
 * What the API machinery needs to know about one served resource: its discovery facts (group, version, kind,
 * scope, verbs, short names, subresources), how it is stored, and its strategy (defaulting, validation, what an
 * update may change, table columns, field selectors). One module per resource under src/kube/resources/
 * exports one of these; the generic registry (api/registry/) does the rest, as kube-apiserver's generic registry
 * store does with a resource's RESTStrategy.
 */
import type { FieldError } from './errors.js';
import type { NameFormat } from './validation.js';
import type { KubeObject } from '../../../clusters/stored-object.js';

export type Verb = 'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export interface SubresourceDef {
  name: string;
  /** Kind of the object the subresource accepts/returns (responseKind in aggregated discovery). */
  kind: string;
  group?: string;
  version?: string;
  verbs: Verb[];
}

export interface TableColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format: string;
  description: string;
  /** 0: always shown; 1: shown with -o wide. */
  priority: number;
}

/** Per-request information for strategies (emulated now, for ages and timestamps). */
export interface StrategyContext {
  now: Date;
}

/** Reads one object of the cluster (an admission plugin's lister): undefined when absent. */
export type ObjectLookup = <O extends KubeObject>(def: ResourceDef<any>, ns: string | undefined, name: string) => Promise<O | undefined>;

export interface ResourceDef<T extends KubeObject = KubeObject> {
  group: string;
  version: string;
  /** Plural resource name: the URL segment and the etcd key segment. */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs: Verb[];
  subresources: SubresourceDef[];
  /** The @kubernetes/client-node model that describes the object's schema (strict field validation). */
  model: string;
  /**
   * How metadata.name is validated: DNS-1123 subdomain (most), DNS-1123 label (namespaces), DNS-1035 label
   * (services), or path segment.
   */
  nameFormat: NameFormat;
  /** Update of a missing object creates it (events, leases) instead of answering NotFound. */
  allowCreateOnUpdate: boolean;
  /** DELETE answers with the deleted object (pods, namespaces) instead of a Success Status. */
  returnDeletedObject: boolean;
  /** spec/status split: the main resource ignores status changes and the status subresource changes only status. */
  hasStatus: boolean;
  /** metadata.generation is maintained (1 on create, +1 on every spec change). */
  generation: boolean;
  /** Field selectors beyond metadata.name and metadata.namespace: field path → value of an object. */
  fieldSelectors: Record<string, (obj: T) => string>;
  /** Table columns (server-side printing for `kubectl get`) and the cells of one object. */
  columns: TableColumn[];
  cells(obj: T, ctx: StrategyContext): unknown[];
  /** Normalizes what the client sent on create (clears status, sets defaults). */
  prepareForCreate?(obj: T, ctx: StrategyContext): void;
  /** Carries over what an update of the main resource (or of a subresource) must not change. */
  prepareForUpdate?(obj: T, old: T, subresource: string | undefined): void;
  /** Server-side defaulting (after decoding, as kube-apiserver's defaulters run). */
  defaults?(obj: T): void;
  validate?(obj: T): FieldError[];
  /**
   * Admission on create that reads other objects, after validation (upstream's admission plugins with listers: a
   * pod's ServiceAccount); every creator goes through it, the in-process controllers too. Throws to refuse.
   */
  admitCreate?(obj: T, lookup: ObjectLookup): Promise<void>;
  validateUpdate?(obj: T, old: T, subresource: string | undefined): FieldError[];
  /** The part of the object whose change bumps metadata.generation. */
  specOf?(obj: T): unknown;
  /** Refuses a delete before the object is read (NamespaceLifecycle: the namespaces that may not be deleted). */
  beforeDelete?(name: string): void;
  /**
   * Graceful deletion (upstream's RESTGracefulDeleteStrategy): the grace period a delete gives the object, given
   * the one requested; 0 removes it at once. Kinds without it are removed at once unless finalizers hold them.
   */
  gracePeriod?(obj: T, requested: number | undefined): number;
  /** Finalizers outside metadata.finalizers that also hold a deletion (a namespace's spec.finalizers). */
  specFinalizers?(obj: T): string[];
  /**
   * The garbage collector follows this kind's dependents (controllers/garbage-collector.ts): a delete's
   * propagationPolicy Orphan or Foreground holds the object with the `orphan` or `foregroundDeletion` finalizer.
   */
  collectsDependents?: boolean;
  /** Marks an object whose deletion must wait (a namespace's phase Terminating). */
  prepareForDeletion?(obj: T): void;
}

export const READ_WRITE: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export function apiVersionOf(def: { group: string; version: string }): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}
