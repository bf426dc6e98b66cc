/**
 * Azure Resource Manager routing: URL templates matched segment by segment, case-insensitively (ARM ignores the
 * case of path segments), `api-version` required and checked per route before the handler runs.
 *
 * Providers register their routes here; the front door hands every ARM request to `dispatch`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Caller } from '../identity/authenticate.js';
import { ArmError, armErrors } from './errors.js';

export interface ArmRequest {
  method: string;
  /** The decoded request path, as the client sent it (no query). */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The request's api-version ('' on routes that take none). */
  apiVersion: string;
  headers: IncomingHttpHeaders;
  rawBody: Buffer | undefined;
  caller: Caller;
  /** Scheme and authority the client used, for absolute URLs in headers (e.g. https://management.azure.com). */
  baseUrl: string;
  requestId: string;
  /** Parses the JSON body: undefined when empty; ArmError InvalidRequestContent when malformed. */
  json<T = unknown>(): T | undefined;
}

export interface ArmResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What a route asks of its caller (SPEC Z-1); src/arm/route-authorization.ts explains and applies it. */
export type RouteAuthorization =
  | { action: string | ((req: ArmRequest) => string); scope?: (req: ArmRequest) => string }
  | { custom: string; check(req: ArmRequest, authorizer: ArmAuthorizer): Promise<void> }
  | { anyCaller: string };

/** The Azure RBAC decisions ARM needs. */
export interface ArmAuthorizer {
  /** Throws ARM's 403 AuthorizationFailed unless `caller` may perform `action` over `scope`. */
  requireAction(caller: Caller, scope: string, action: string): Promise<void>;
  /** Whether `caller` may perform `action` over `scope` (for lists that show only what the caller may read). */
  allows(caller: Caller, scope: string, action: string): Promise<boolean>;
  /** Whether `caller` holds any role assignment at, above or below `scope` (what makes a subscription visible). */
  hasAnyAccess(caller: Caller, scope: string): Promise<boolean>;
}

export type ArmHandler = (req: ArmRequest) => Promise<ArmResponse>;

/**
 * How a route checks api-version: a list of supported versions (ARM's own APIs answer InvalidApiVersionParameter),
 * a custom check (resource providers answer NoRegisteredProviderFound), or 'none' for the few endpoints that take no
 * api-version.
 */
export type ApiVersionPolicy = string[] | ((apiVersion: string) => ArmError | undefined) | 'none';

export interface ArmRouteDefinition {
  methods: string[];
  /** Template with literal segments and `{param}` segments, e.g. `/subscriptions/{subscriptionId}/resourcegroups`. */
  path: string;
  apiVersions: ApiVersionPolicy;
  /** What the caller must be allowed to do (SPEC Z-1); checked by the ARM front before `handler` runs. */
  authorization: RouteAuthorization;
  handler: ArmHandler;
}

interface CompiledRoute extends ArmRouteDefinition {
  segments: Array<{ literal: string } | { param: string }>;
  literalCount: number;
}

export interface RouteMatch {
  route: ArmRouteDefinition;
  params: Record<string, string>;
}

/** Splits a path into decoded segments; throws ArmError for malformed percent-encoding. */
export function splitPath(path: string): string[] {
  return path
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw new ArmError(400, 'InvalidRequestUri', `The request URI contains an invalid escape sequence in '${s}'.`);
      }
    });
}

export class ArmRouter {
  private readonly routes: CompiledRoute[] = [];

  /** Every route, for the route table and for tests that walk them all. */
  all(): readonly ArmRouteDefinition[] {
    return this.routes;
  }

  add(def: ArmRouteDefinition): void {
    const segments = def.path
      .split('/')
      .filter((s) => s.length > 0)
      .map((s) => (s.startsWith('{') && s.endsWith('}') ? { param: s.slice(1, -1) } : { literal: s.toLowerCase() }));
    const compiled: CompiledRoute = {
      ...def,
      methods: def.methods.map((m) => m.toUpperCase()),
      segments,
      literalCount: segments.filter((s) => 'literal' in s).length,
    };
    this.routes.push(compiled);
    // Most specific first: a literal segment beats a parameter at the same depth.
    this.routes.sort((a, b) => b.literalCount - a.literalCount);
  }

  /** Finds the route for `segments`; `methodMismatch` tells a 405 from a 404. */
  match(method: string, segments: string[]): RouteMatch | { methodMismatch: true } | undefined {
    let pathMatched = false;
    for (const route of this.routes) {
      if (route.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segments.length && ok; i++) {
        const s = route.segments[i]!;
        if ('literal' in s) ok = s.literal === segments[i]!.toLowerCase();
        else params[s.param] = segments[i]!;
      }
      if (!ok) continue;
      pathMatched = true;
      if (route.methods.includes(method.toUpperCase())) return { route, params };
    }
    return pathMatched ? { methodMismatch: true } : undefined;
  }
}

/** Applies a route's api-version policy. */
export function checkApiVersion(policy: ApiVersionPolicy, apiVersion: string | null): void {
  if (policy === 'none') return;
  if (apiVersion === null || apiVersion === '') throw armErrors.missingApiVersion();
  if (Array.isArray(policy)) {
    if (!policy.includes(apiVersion)) throw armErrors.invalidApiVersion(apiVersion, policy);
    return;
  }
  const err = policy(apiVersion);
  if (err) throw err;
}
