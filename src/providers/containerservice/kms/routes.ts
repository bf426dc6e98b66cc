/**
 * aksemu's encryption API behind `aksemu aks encryption status|migrate`, authenticated like ARM:
 *
 *   GET  /_aksemu/aks/encryption?resourceGroup=RG&name=NAME          the encryption status (report.ts); needs
 *                                                                    Aksemu.Emulator/encryption/read on the cluster
 *   POST /_aksemu/aks/encryption/migrate?resourceGroup=RG&name=NAME[&maxPerSecond=N]  starts (or answers the
 *                                                                    running) server-side migration (migration.ts),
 *                                                                    202; needs Aksemu.Emulator/encryption/migrate/action
 *   GET  /_aksemu/aks/encryption/migrate?resourceGroup=RG&name=NAME  the migration's progress (encryption/read)
 *   GET  /_aksemu/aks/encryption/plugin?resourceGroup=RG&name=NAME   which plugin serves the current key
 *                                                                    (encryption/read)
 *   PUT  /_aksemu/aks/encryption/plugin?resourceGroup=RG&name=NAME   body {"socket":"unix:///path"} or
 *                                                                    {"builtin":true}: an external KMS plugin for
 *                                                                    the current key, or aksemu's own again
 *                                                                    (external-plugin.ts, SPEC X-4); needs
 *                                                                    Aksemu.Emulator/encryption/plugin/action
 *
 * The rights are aksemu's own (src/frontdoor/admin-rights.ts, SPEC Z-1), over the cluster the query names.
 * Errors are ARM-shaped ({"error":{"code","message"}}).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requireArmToken } from '../../../arm/http.js';
import { ArmError } from '../../../arm/errors.js';
import { providerResourceId } from '../../../arm/resource-id.js';
import { newGuid } from '../../../util/ids.js';
import type { ManagedClusterDoc } from '../models.js';
import { NS } from '../clusters.js';
import { encryptionStatus } from './report.js';
import type { StorageMigration } from './migration.js';
import type { AksKms } from './service.js';
import { setKmsPlugin } from './external-plugin.js';

export function registerEncryptionRoutes(kms: AksKms, migration: StorageMigration): void {
  const ctx = kms.deps;
  const fail = (reply: FastifyReply, status: number, code: string, message: string) => reply.code(status).send({ error: { code, message } });

  const clusterId = (req: FastifyRequest): string | undefined => {
    const q = new URL(req.url, 'https://x').searchParams;
    const rg = q.get('resourceGroup');
    const name = q.get('name');
    return rg && name ? providerResourceId(q.get('subscription') ?? ctx.subscriptionId, rg, NS, [['managedClusters', name]]) : undefined;
  };
  const right = (action: string) => ({ config: { adminRight: { action, scope: clusterId } } });

  const cluster = async (req: FastifyRequest): Promise<ManagedClusterDoc> => {
    const q = new URL(req.url, 'https://x').searchParams;
    const rg = q.get('resourceGroup');
    const name = q.get('name');
    if (!rg || !name) throw new ArmError(400, 'InvalidParameter', 'Give the cluster as ?resourceGroup=RG&name=NAME.');
    const sub = q.get('subscription') ?? ctx.subscriptionId;
    const id = providerResourceId(sub, rg, NS, [['managedClusters', name]]);
    const doc = await kms.svc.getCluster(id);
    if (!doc) throw new ArmError(404, 'ResourceNotFound', `The Resource 'Microsoft.ContainerService/managedClusters/${name}' under resource group '${rg}' was not found.`);
    return doc.value;
  };

  const guard = (fn: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) => async (req: FastifyRequest, reply: FastifyReply) => {
    try {
      return await fn(req, reply);
    } catch (err) {
      if (err instanceof ArmError) return fail(reply, err.status, err.code, err.message);
      throw err;
    }
  };

  ctx.frontDoor.app.register(async (scope) => {
    scope.addHook('onRequest', requireArmToken(ctx.tokens));
    scope.get(
      '/_aksemu/aks/encryption',
      right('Aksemu.Emulator/encryption/read'),
      guard(async (req) => {
        const doc = await cluster(req);
        const uid = doc.properties.resourceUID;
        const state = await kms.runtime.state(uid);
        const status = await encryptionStatus(ctx.store, doc.id, uid, state, await kms.runtime.transformer(uid));
        return { ...status, migration: (await migration.get(uid)) ?? null };
      }),
    );
    scope.post(
      '/_aksemu/aks/encryption/migrate',
      right('Aksemu.Emulator/encryption/migrate/action'),
      guard(async (req, reply) => {
        const doc = await cluster(req);
        const state = await kms.runtime.state(doc.properties.resourceUID);
        if (state?.unrecoverable) throw new ArmError(409, 'AzureKeyVaultKmsClusterUnrecoverable', `The cluster's API server is down for good (${state.unrecoverable.reason}): nothing can be migrated.`);
        const raw = new URL(req.url, 'https://x').searchParams.get('maxPerSecond');
        const max = raw === null ? 0 : Number(raw);
        if (!Number.isInteger(max) || max < 0) throw new ArmError(400, 'InvalidParameter', `maxPerSecond must be a non-negative integer, not '${raw}'.`);
        const rec = await migration.start(doc.properties.resourceUID, doc.id, newGuid(), max);
        return reply.code(202).send(rec);
      }),
    );
    scope.get(
      '/_aksemu/aks/encryption/plugin',
      right('Aksemu.Emulator/encryption/read'),
      guard(async (req) => {
        const doc = await cluster(req);
        const state = await kms.runtime.state(doc.properties.resourceUID);
        const key = state?.enabled ? state.providers[0] : undefined;
        if (!key) throw new ArmError(409, 'AzureKeyVaultKmsNotEnabled', `The cluster '${doc.name}' does not encrypt its secrets with a KMS key.`);
        return { provider: key.name, kid: key.kid, keyId: key.keyIdHash, api: key.api, plugin: key.plugin ?? 'builtin' };
      }),
    );
    scope.put(
      '/_aksemu/aks/encryption/plugin',
      right('Aksemu.Emulator/encryption/plugin/action'),
      guard(async (req) => {
        let body: { socket?: unknown; builtin?: unknown };
        try {
          body = JSON.parse(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '{}');
        } catch {
          throw new ArmError(400, 'InvalidRequestContent', 'The request body is not valid JSON.');
        }
        const socket = body !== null && typeof body === 'object' && typeof body.socket === 'string' ? body.socket : undefined;
        const builtin = body !== null && typeof body === 'object' && body.builtin === true;
        if (body === null || typeof body !== 'object' || Array.isArray(body) || (socket === undefined) === !builtin || Object.keys(body).some((k) => k !== 'socket' && k !== 'builtin')) {
          throw new ArmError(400, 'InvalidParameter', 'Give either {"socket": "unix:///path/to/plugin.socket"} or {"builtin": true}.');
        }
        const doc = await cluster(req);
        return setKmsPlugin(kms, doc.properties.resourceUID, doc.name, socket);
      }),
    );
    scope.get(
      '/_aksemu/aks/encryption/migrate',
      right('Aksemu.Emulator/encryption/read'),
      guard(async (req) => {
        const doc = await cluster(req);
        const rec = await migration.get(doc.properties.resourceUID);
        if (!rec) throw new ArmError(404, 'NotFound', `No storage migration has run on the cluster '${doc.name}'.`);
        return rec;
      }),
    );
  });
}
