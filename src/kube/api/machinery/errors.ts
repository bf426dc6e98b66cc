/**
 * Kubernetes `Status` errors (meta/v1 Status with status "Failure"), with the reasons, codes and message formats
 * of kube-apiserver (k8s.io/apimachinery/pkg/api/errors), so that kubectl and client libraries classify them as
 * they do against a real cluster (`IsNotFound`, `IsConflict`, "Error from server (NotFound): ...").
 *
 * Every bad input the API sees is turned into one of these: the HTTP layer never answers a 500 for user input.
 */

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'Timeout'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'NotImplemented'
  | '';

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

export class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
    /** Extra response headers (e.g. Retry-After). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'KubeError';
  }

  toStatus(): Status {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** "pods" or "leases.coordination.k8s.io": how kube-apiserver names a resource in messages. */
export interface GroupResource {
  group: string;
  resource: string;
}

export function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

/** One field error of an Invalid (422) answer, as `field.Error` prints it. */
export interface FieldError {
  type: 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueForbidden' | 'FieldValueTooLong' | 'FieldValueDuplicate' | 'FieldValueTooMany';
  field: string;
  /** The bad value, shown in the message for Invalid / NotSupported / Duplicate. */
  value?: unknown;
  detail?: string;
}

const FIELD_ERROR_TEXT: Record<FieldError['type'], string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueTooMany: 'Too many',
};

function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** `field: Invalid value: "x": detail`, the text of one field.Error. */
export function fieldErrorMessage(e: FieldError): string {
  const head = FIELD_ERROR_TEXT[e.type];
  const withValue = e.type === 'FieldValueInvalid' || e.type === 'FieldValueNotSupported' || e.type === 'FieldValueDuplicate';
  let body = withValue && e.value !== undefined ? `${head}: ${showValue(e.value)}` : head;
  if (e.detail) body += `: ${e.detail}`;
  return body;
}

export const kubeErrors = {
  badRequest: (message: string) => new KubeError(400, 'BadRequest', message),
  unauthorized: () => new KubeError(401, 'Unauthorized', 'Unauthorized'),
  forbidden: (gr: GroupResource, name: string, why: string) =>
    new KubeError(403, 'Forbidden', `${qualifiedResource(gr)}${name ? ` "${name}"` : ''} is forbidden: ${why}`, {
      ...(name ? { name } : {}),
      ...(gr.group ? { group: gr.group } : {}),
      kind: gr.resource,
    }),
  notFound: (gr: GroupResource, name: string) =>
    new KubeError(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, {
      name,
      ...(gr.group ? { group: gr.group } : {}),
      kind: gr.resource,
    }),
  /** 404 for a URL no API serves, as kube-apiserver's NotFound handler answers it. */
  pathNotFound: () => new KubeError(404, 'NotFound', 'the server could not find the requested resource', {}),
  alreadyExists: (gr: GroupResource, name: string) =>
    new KubeError(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, {
      name,
      ...(gr.group ? { group: gr.group } : {}),
      kind: gr.resource,
    }),
  conflict: (gr: GroupResource, name: string, why: string) =>
    new KubeError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`, {
      name,
      ...(gr.group ? { group: gr.group } : {}),
      kind: gr.resource,
    }),
  staleUpdate: (gr: GroupResource, name: string) =>
    kubeErrors.conflict(gr, name, 'the object has been modified; please apply your changes to the latest version and try again'),
  invalid: (kind: string, group: string, name: string, errors: FieldError[]) => {
    const texts = errors.map((e) => `${e.field}: ${fieldErrorMessage(e)}`);
    const summary = texts.length === 1 ? texts[0]! : `[${texts.join(', ')}]`;
    return new KubeError(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${summary}`, {
      name,
      ...(group ? { group } : {}),
      kind,
      causes: errors.map((e) => ({ reason: e.type, message: fieldErrorMessage(e), field: e.field })),
    });
  },
  gone: (message: string) => new KubeError(410, 'Gone', message),
  expired: (message: string) => new KubeError(410, 'Expired', message),
  methodNotAllowed: (verb: string, gr: GroupResource) =>
    new KubeError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`, {
      ...(gr.group ? { group: gr.group } : {}),
      kind: gr.resource,
    }),
  notAcceptable: (accepted: string[]) =>
    new KubeError(406, 'NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`),
  unsupportedMediaType: (given: string, accepted: string[]) =>
    new KubeError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
      given ? { causes: [{ reason: 'UnexpectedServerResponse', message: `aksemu does not decode '${given}'` }] } : undefined,
    ),
  tooLarge: (limit: number) => new KubeError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`),
  internal: (message: string) => new KubeError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] }),
  /**
   * The cluster's store does not answer (SPEC R-1): a 503 clients retry by themselves (client-go honours Retry-After
   * on a 5xx), in words that name neither the store's address nor its keys, which are not a cluster user's business.
   */
  storeUnavailable: (retryAfterSeconds = 1) =>
    new KubeError(503, 'ServiceUnavailable', 'the cluster store (etcd) is unavailable; please try again later', { retryAfterSeconds }, { 'Retry-After': String(retryAfterSeconds) }),
  timeout: (message: string, retryAfterSeconds = 1) =>
    new KubeError(504, 'Timeout', message, { retryAfterSeconds }, { 'Retry-After': String(retryAfterSeconds) }),
};

/** The body kube-apiserver answers a successful delete with when it does not return the object. */
export function successStatus(details: StatusDetails): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}
