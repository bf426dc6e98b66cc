/**
 * Content negotiation as kube-apiserver does it: the Accept header names media types with parameters
 * (`application/json;as=Table;v=v1;g=meta.k8s.io`), the first one the server can produce wins, and the
 * response says exactly which one it is in Content-Type (kubectl decides how to read a body from it).
 */
import { kubeErrors } from './errors.js';

export interface MediaRange {
  type: string;
  params: Record<string, string>;
  q: number;
}

export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header || header.trim() === '') return [{ type: '*/*', params: {}, q: 1 }];
  const ranges = header.split(',').map((part, index) => {
    const [type, ...rest] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    let q = 1;
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim();
      const v = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
      if (k === 'q') q = Number(v);
      else params[k] = v;
    }
    return { type: (type ?? '').toLowerCase(), params, q: Number.isFinite(q) ? q : 0, index };
  });
  return ranges
    .filter((r) => r.type !== '' && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map(({ index: _i, ...r }) => r);
}

export type OutputKind =
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'table'; version: 'v1' | 'v1beta1' }
  | { kind: 'partial'; version: 'v1' | 'v1beta1'; list: boolean };

function jsonLike(type: string): boolean {
  return type === 'application/json' || type === '*/*' || type === 'application/*';
}

/** What to answer a resource request with (object or list). */
export function negotiateObject(accept: string | undefined, isList: boolean): { output: OutputKind; contentType: string } {
  for (const r of parseAccept(accept)) {
    const as = r.params.as;
    if (as !== undefined) {
      if (r.type !== 'application/json' || r.params.g !== 'meta.k8s.io' || (r.params.v !== 'v1' && r.params.v !== 'v1beta1')) continue;
      if (as === 'Table') return { output: { kind: 'table', version: r.params.v }, contentType: `application/json;as=Table;v=${r.params.v};g=meta.k8s.io` };
      if (as === 'PartialObjectMetadata' && !isList) {
        return { output: { kind: 'partial', version: r.params.v, list: false }, contentType: `application/json;as=PartialObjectMetadata;v=${r.params.v};g=meta.k8s.io` };
      }
      if (as === 'PartialObjectMetadataList' && isList) {
        return { output: { kind: 'partial', version: r.params.v, list: true }, contentType: `application/json;as=PartialObjectMetadataList;v=${r.params.v};g=meta.k8s.io` };
      }
      continue;
    }
    if (jsonLike(r.type)) return { output: { kind: 'json' }, contentType: 'application/json' };
    if (r.type === 'application/yaml') return { output: { kind: 'yaml' }, contentType: 'application/yaml' };
  }
  throw kubeErrors.notAcceptable(['application/json', 'application/yaml']);
}

/**
 * The media type of an answer that has no Table or metadata-only form (the reviews, which are not stored): JSON or
 * YAML; a client that accepts only `as=Table` or `as=PartialObjectMetadata` gets kube-apiserver's 406.
 */
export function negotiatePlain(accept: string | undefined): 'application/json' | 'application/yaml' {
  for (const r of parseAccept(accept)) {
    if (r.params.as !== undefined) continue;
    if (jsonLike(r.type)) return 'application/json';
    if (r.type === 'application/yaml') return 'application/yaml';
  }
  throw kubeErrors.notAcceptable(['application/json', 'application/yaml']);
}

export type DiscoveryOutput = 'v2' | 'v2beta1' | 'legacy';

/** Aggregated discovery (apidiscovery.k8s.io v2 / v2beta1) or the legacy documents. */
export function negotiateDiscovery(accept: string | undefined): { output: DiscoveryOutput; contentType: string } {
  for (const r of parseAccept(accept)) {
    if (r.params.as === 'APIGroupDiscoveryList' && r.params.g === 'apidiscovery.k8s.io' && r.type === 'application/json') {
      if (r.params.v === 'v2' || r.params.v === 'v2beta1') {
        return { output: r.params.v, contentType: `application/json;g=apidiscovery.k8s.io;v=${r.params.v};as=APIGroupDiscoveryList` };
      }
      continue;
    }
    if (r.params.as !== undefined) continue;
    if (jsonLike(r.type)) return { output: 'legacy', contentType: 'application/json' };
  }
  throw kubeErrors.notAcceptable(['application/json', 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList', 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList']);
}
