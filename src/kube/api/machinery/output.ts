/**
 * Response bodies: lists (`<Kind>List`, items without their own apiVersion/kind as kube-apiserver encodes them),
 * server-side tables (`meta.k8s.io/v1 Table`, what `kubectl get` prints, with `row.object` as
 * PartialObjectMetadata so that `--show-labels` and `-L` work) and PartialObjectMetadata.
 */
import { apiVersionOf, type ResourceDef, type StrategyContext } from './resource.js';
import type { KubeObject } from '../../../clusters/stored-object.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface ListMeta {
  resourceVersion: string;
  continue?: string;
  /** How many more items the collection holds after this page (a paged list without selectors). */
  remainingItemCount?: number;
}

/** A list's metadata as kube-apiserver writes it: continue and remainingItemCount only when there is a next page. */
function listMetadata(meta: Partial<ListMeta>): Record<string, unknown> {
  return {
    ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
    ...(meta.continue ? { continue: meta.continue } : {}),
    ...(meta.continue && meta.remainingItemCount !== undefined ? { remainingItemCount: meta.remainingItemCount } : {}),
  };
}

export function listBody(def: ResourceDef, items: KubeObject[], meta: ListMeta): Record<string, unknown> {
  return {
    kind: `${def.kind}List`,
    apiVersion: apiVersionOf(def),
    metadata: { resourceVersion: meta.resourceVersion, ...listMetadata(meta) },
    items: items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest),
  };
}

export function partialObjectMetadata(obj: KubeObject, version: 'v1' | 'v1beta1' = 'v1'): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: obj.metadata };
}

export function partialList(items: KubeObject[], meta: ListMeta, version: 'v1' | 'v1beta1' = 'v1'): Record<string, unknown> {
  return {
    kind: 'PartialObjectMetadataList',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: { resourceVersion: meta.resourceVersion, ...listMetadata(meta) },
    items: items.map((o) => partialObjectMetadata(o, version)),
  };
}

export function tableRow(def: ResourceDef, obj: KubeObject, ctx: StrategyContext, include: IncludeObject): Record<string, unknown> {
  const row: Record<string, unknown> = { cells: def.cells(obj, ctx) };
  if (include === 'Metadata') row.object = partialObjectMetadata(obj);
  else if (include === 'Object') row.object = { apiVersion: apiVersionOf(def), kind: def.kind, ...obj };
  return row;
}

export function table(
  def: ResourceDef,
  objs: KubeObject[],
  ctx: StrategyContext,
  include: IncludeObject,
  meta: Partial<ListMeta>,
  version: 'v1' | 'v1beta1' = 'v1',
  withColumns = true,
): Record<string, unknown> {
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: listMetadata(meta),
    columnDefinitions: withColumns ? def.columns : null,
    rows: objs.map((o) => tableRow(def, o, ctx, include)),
  };
}
