/**
 * The Key Vault audit log when the store refuses writes (SPEC R-1, V-5): a failed background flush neither ends
 * the process (no unhandled rejection) nor drops an event; the events stay buffered, `status()` says why, and the
 * retry writes them, in order, once the store takes writes again. The store is a real SQLite store; only its
 * `txn` is made to fail for a while, as a full disk or a stopped etcd makes it fail.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, readAudit, type AuditEvent } from '../../src/keyvault/audit.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { waitFor } from '../../testkit/wait.js';

function event(i: number): AuditEvent {
  return {
    time: `2026-12-07T00:00:${String(i).padStart(2, '0')}.000Z`,
    resourceId: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv1',
    vaultName: 'kv1',
    operationName: 'KeyDecrypt',
    operationVersion: '7.4',
    category: 'AuditEvent',
    resultType: 'Success',
    resultSignature: 'OK',
    httpStatusCode: 200,
    durationMs: 1,
    callerIpAddress: '127.0.0.1',
    correlationId: `c-${i}`,
    identity: { claim: { oid: 'o', appid: 'a', tid: 't' } },
    properties: { requestUri: `https://kv1.vault.azure.net/keys/k/decrypt?n=${i}` },
  };
}

describe('the Key Vault audit log on a failing store', () => {
  let dir: string;
  let store: Store;
  let failing = false;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aksemu-audit-'));
    const real = await openStore('sqlite', dir);
    failing = false;
    // The real store, whose transactions fail while `failing` is set.
    store = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === 'txn') return (...args: Parameters<Store['txn']>) => (failing ? Promise.reject(new Error('database or disk is full')) : target.txn(...args));
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });

  afterEach(async () => {
    process.off('unhandledRejection', onUnhandled);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every event through a failing background flush, reports it, and writes them in order once the store recovers', async () => {
    const log = new AuditLog(store);
    failing = true;
    for (let i = 0; i < 5; i++) log.record(event(i));
    // The background flush (100 ms) fails and is retried with a growing delay; nothing escapes as a rejection.
    await waitFor('a failed audit flush', () => log.status().failures >= 2, { timeoutMs: 5_000 });
    expect(log.status()).toMatchObject({ pending: 5, lastError: 'database or disk is full' });
    log.record(event(5));
    expect(log.status().pending).toBe(6);
    await expect(log.flush()).rejects.toThrow('database or disk is full');
    expect(log.status().pending).toBe(6);
    expect(await readAudit(store, 'kv1')).toEqual([]);

    failing = false;
    await waitFor('the retry to write the events', () => log.status().pending === 0, { timeoutMs: 10_000 });
    expect(log.status()).toEqual({ pending: 0, failures: 0 });
    const written = await readAudit(store, 'kv1');
    expect(written.map((e) => e.correlationId)).toEqual(['c-0', 'c-1', 'c-2', 'c-3', 'c-4', 'c-5']);
    expect(unhandled).toEqual([]);
    await log.close();
  });

  it('a reader sees every finished operation once the store takes writes', async () => {
    const log = new AuditLog(store);
    log.record(event(1));
    log.record(event(2));
    expect((await log.read('kv1')).map((e) => e.correlationId)).toEqual(['c-1', 'c-2']);
    failing = true;
    log.record(event(3));
    await expect(log.read('kv1')).rejects.toThrow('database or disk is full');
    failing = false;
    expect((await log.read('kv1')).map((e) => e.correlationId)).toEqual(['c-1', 'c-2', 'c-3']);
    await log.close();
    expect(unhandled).toEqual([]);
  });
});
