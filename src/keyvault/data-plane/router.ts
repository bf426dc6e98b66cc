/**
 * The data plane's router: a route table is matched in order, first match wins, on the path segments after the
 * vault (decoded). Literal segments match case-insensitively (Key Vault ignores their case); `{param}` segments
 * match any segment and are passed as given — except `{version}`, which matches only a key version (32 hex
 * digits). A route's method is an HTTP method or `*` (any method: the rows that answer 405). No match is Key
 * Vault's 404.
 */
import type { OperationId } from '../access.js';
import { KvError } from '../errors.js';
import type { OperationDeps } from './deps.js';
import { VERSION, type OperationResult, type RequestContext } from './request.js';

export type RouteParams = Record<string, string>;
export type RouteHandler = (d: OperationDeps, c: RequestContext, p: RouteParams) => Promise<OperationResult>;

export interface DataPlaneRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | '*';
  /** Segments after the vault, e.g. `keys/{name}/{version}/decrypt`. */
  path: string;
  /** The operation authorized and audited (none for the rows that only refuse). */
  operation?: OperationId;
  handler: RouteHandler;
}

type Segment = { literal: string } | { param: string; pattern?: RegExp };

const PARAM_PATTERNS: Record<string, RegExp> = { version: VERSION };

export interface CompiledRoute extends DataPlaneRoute {
  segments: Segment[];
}

export function compileRoutes(routes: DataPlaneRoute[]): CompiledRoute[] {
  return routes.map((r) => ({
    ...r,
    segments: r.path.split('/').map((s): Segment => {
      if (!(s.startsWith('{') && s.endsWith('}'))) return { literal: s.toLowerCase() };
      const param = s.slice(1, -1);
      const pattern = PARAM_PATTERNS[param];
      return pattern ? { param, pattern } : { param };
    }),
  }));
}

export function matchRoute(routes: CompiledRoute[], method: string, segments: string[]): { route: CompiledRoute; params: RouteParams } | undefined {
  for (const route of routes) {
    if (route.segments.length !== segments.length || (route.method !== '*' && route.method !== method)) continue;
    const params: RouteParams = {};
    const ok = route.segments.every((s, i) => {
      const value = segments[i]!;
      if ('literal' in s) return s.literal === value.toLowerCase();
      params[s.param] = value;
      return s.pattern === undefined || s.pattern.test(value);
    });
    if (ok) return { route, params };
  }
  return undefined;
}

/** Runs the route for the request (its operation set on the context first), or throws Key Vault's 404. */
export async function dispatch(routes: CompiledRoute[], d: OperationDeps, c: RequestContext, segments: string[]): Promise<OperationResult> {
  const match = matchRoute(routes, c.method, segments);
  if (!match) throw new KvError(404, 'NotFound', `The resource '/${segments.join('/')}' does not exist in Key Vault (aksemu serves keys and deletedkeys).`);
  c.operation = match.route.operation;
  return match.route.handler(d, c, match.params);
}
