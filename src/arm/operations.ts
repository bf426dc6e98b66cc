/**
 * Long-running operations the ARM way.
 *
 * A mutating request that takes time answers 201/202 with `Azure-AsyncOperation` (an operation status resource:
 * `{name, status: InProgress|Succeeded|Failed|Canceled, startTime, endTime, error}`) and `Location` (an operation
 * result: 202 while running, then the final answer), plus `Retry-After`. The operation record lives in the store;
 * the work itself is a task (runtime/tasks.ts) of the provider's own kind, which calls `finish` when done, so a
 * restart resumes it.
 */
import { getJson, listJson, putJson, updateJson } from '../store/json.js';
import type { Store } from '../store/store.js';
import type { Clock, Speed } from '../runtime/clock.js';
import { newGuid } from '../util/ids.js';
import type { ArmErrorDetail } from './errors.js';
import type { ArmRequest, ArmResponse } from './router.js';

export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

export interface OperationRecord {
  id: string;
  subscriptionId: string;
  namespace: string;
  location: string;
  /** The resource the operation acts on. */
  resourceId: string;
  status: OperationStatus;
  startTime: string;
  endTime?: string;
  percentComplete?: number;
  error?: ArmErrorDetail;
  /**
   * What the Location (operation result) URL answers once the operation has finished: the final resource for a
   * create/update (200), nothing for a delete (204 / 200 per provider).
   */
  result?: { status: number; body?: unknown };
}

const opKey = (sub: string, id: string) => `/arm/operations/${sub.toLowerCase()}/${id.toLowerCase()}`;

export class Operations {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly speed: Speed,
  ) {}

  async create(input: { subscriptionId: string; namespace: string; location: string; resourceId: string }): Promise<OperationRecord> {
    const op: OperationRecord = { id: newGuid(), ...input, status: 'InProgress', startTime: this.clock.iso() };
    await putJson(this.store, opKey(op.subscriptionId, op.id), op, { ifModRevision: 0 });
    return op;
  }

  async get(subscriptionId: string, id: string): Promise<OperationRecord | undefined> {
    return (await getJson<OperationRecord>(this.store, opKey(subscriptionId, id)))?.value;
  }

  /** The operations of a subscription still running on `resourceId` or a resource below it (an abort's targets). */
  async inProgressOn(subscriptionId: string, resourceId: string): Promise<OperationRecord[]> {
    const id = resourceId.toLowerCase();
    const all = await listJson<OperationRecord>(this.store, `/arm/operations/${subscriptionId.toLowerCase()}/`);
    return all.map((d) => d.value).filter((op) => op.status === 'InProgress' && (op.resourceId.toLowerCase() === id || op.resourceId.toLowerCase().startsWith(`${id}/`)));
  }

  async progress(op: OperationRecord, percentComplete: number): Promise<void> {
    await updateJson<OperationRecord>(this.store, opKey(op.subscriptionId, op.id), (cur) =>
      cur && cur.status === 'InProgress' ? { ...cur, percentComplete } : undefined,
    );
  }

  /** Marks the operation finished; `result` is what its Location URL answers from now on. */
  async finish(
    op: Pick<OperationRecord, 'subscriptionId' | 'id'>,
    outcome: { status: Exclude<OperationStatus, 'InProgress'>; error?: ArmErrorDetail; result?: { status: number; body?: unknown } },
  ): Promise<void> {
    await updateJson<OperationRecord>(this.store, opKey(op.subscriptionId, op.id), (cur) =>
      cur
        ? {
            ...cur,
            status: outcome.status,
            endTime: this.clock.iso(),
            ...(outcome.status === 'Succeeded' ? { percentComplete: 100 } : {}),
            ...(outcome.error ? { error: outcome.error } : {}),
            ...(outcome.result ? { result: outcome.result } : {}),
          }
        : undefined,
    );
  }

  /**
   * When a client should poll again. `Retry-After` is whole seconds and never 0: Python's azure-core (az) reads
   * `Retry-After: 0` as "not given" and falls back to its 30-second default, so at instant speed it asks for the
   * shortest whole wait. `Retry-After-Ms` says the same more finely (the Azure SDK for JavaScript's pipeline reads
   * it before `Retry-After`; az reads it only when `Retry-After` is absent): at instant speed the work is done
   * within milliseconds, so a client that reads it need not sit out a whole second per operation.
   */
  pollHeaders(): Record<string, string> {
    return this.speed.name === 'instant' ? { 'Retry-After': '1', 'Retry-After-Ms': '50' } : { 'Retry-After': '10', 'Retry-After-Ms': '10000' };
  }

  /** The provider-scoped status URL, as real resource providers return it. */
  statusUrl(req: Pick<ArmRequest, 'baseUrl' | 'apiVersion'>, op: OperationRecord): string {
    return `${req.baseUrl}/subscriptions/${op.subscriptionId}/providers/${op.namespace}/locations/${op.location}/operations/${op.id}?api-version=${req.apiVersion}`;
  }

  resultUrl(req: Pick<ArmRequest, 'baseUrl' | 'apiVersion'>, op: OperationRecord): string {
    return `${req.baseUrl}/subscriptions/${op.subscriptionId}/providers/${op.namespace}/locations/${op.location}/operationresults/${op.id}?api-version=${req.apiVersion}`;
  }

  /** Headers for a 201/202 answer that started `op`. */
  headers(req: Pick<ArmRequest, 'baseUrl' | 'apiVersion'>, op: OperationRecord, which: Array<'async' | 'location'> = ['async', 'location']): Record<string, string> {
    return {
      ...(which.includes('async') ? { 'Azure-AsyncOperation': this.statusUrl(req, op) } : {}),
      ...(which.includes('location') ? { Location: this.resultUrl(req, op) } : {}),
      ...this.pollHeaders(),
    };
  }

  /** The operation status resource (always 200). */
  statusResponse(op: OperationRecord): ArmResponse {
    const body: Record<string, unknown> = {
      id: `/subscriptions/${op.subscriptionId}/providers/${op.namespace}/locations/${op.location}/operations/${op.id}`,
      name: op.id,
      status: op.status,
      startTime: op.startTime,
      ...(op.endTime ? { endTime: op.endTime } : {}),
      ...(op.percentComplete !== undefined ? { percentComplete: op.percentComplete } : {}),
      ...(op.error ? { error: op.error } : {}),
    };
    return {
      status: 200,
      body,
      ...(op.status === 'InProgress' ? { headers: this.pollHeaders() } : {}),
    };
  }

  /** The operation result: 202 while running, then the recorded result (or the error of a failed operation). */
  resultResponse(req: Pick<ArmRequest, 'baseUrl' | 'apiVersion'>, op: OperationRecord): ArmResponse {
    if (op.status === 'InProgress') return { status: 202, headers: { Location: this.resultUrl(req, op), ...this.pollHeaders() } };
    if (op.status === 'Failed' || op.status === 'Canceled') {
      return { status: 400, body: { error: op.error ?? { code: op.status, message: `The operation ${op.status.toLowerCase()}.` } } };
    }
    return op.result ? { status: op.result.status, body: op.result.body } : { status: 204 };
  }
}
