/**
 * The Key Vault module (SPEC V-1..V-5): the management plane (vaults over ARM), the data plane (`/_vault/<vault>`,
 * host `<vault>.vault.azure.net`), private endpoints, and the audit log API
 * (`GET /_aksemu/keyvault/vaults/<vault>/audit[?since=ISO&top=N]`, ARM token with read access to the vault).
 *
 * Wired by the composition root, which hands what it returns to the features that use Key Vault: the KMS feature
 * creates a private endpoint for a vault in a cluster's node resource group with `privateEndpoints.create({...})`
 * and connects its plugin to the returned `socketPath`; the cluster rules check key access (SPEC K-5).
 */
import type { FastifyInstance } from 'fastify';
import type { Arm } from '../../arm/arm.js';
import type { TokenService } from '../../identity/tokens.js';
import type { Clock, Speed } from '../../runtime/clock.js';
import type { Lifecycle } from '../../runtime/lifecycle.js';
import type { TaskRunner } from '../../runtime/tasks.js';
import type { Sealer } from '../../secrets/sealer.js';
import type { Store } from '../../store/store.js';
import type { ProviderRegistrations } from '../resources/provider-registration.js';
import { requireArmToken } from '../../arm/http.js';
import { AuditLog } from '../../keyvault/audit.js';
import { CryptoPool } from '../../keyvault/crypto-pool.js';
import { registerDataPlane } from '../../keyvault/data-plane.js';
import { KeyStore } from '../../keyvault/key-store.js';
import type { RoleAssignments } from '../../authorization/role-assignments.js';
import { checkKeyAccess, type KeyAccessAnswer, type KeyAccessQuery } from '../../keyvault/key-access.js';
import { PrivateEndpoints } from '../../keyvault/private-endpoints.js';
import { registerVaultRoutes } from './vault-routes.js';
import { Vaults } from '../../keyvault/vaults.js';

export interface KeyVaultServices {
  vaults: Vaults;
  keys: KeyStore;
  audit: AuditLog;
  privateEndpoints: PrivateEndpoints;
  /** SPEC K-5: whether a principal may perform key operations (access policies or RBAC, as the data plane). */
  checkKeyAccess(q: KeyAccessQuery): Promise<KeyAccessAnswer>;
}

export interface KeyVaultDeps {
  store: Store;
  arm: Arm;
  clock: Clock;
  speed: Speed;
  tasks: TaskRunner;
  sealer: Sealer;
  tokens: TokenService;
  providers: ProviderRegistrations;
  authz: RoleAssignments;
  app: FastifyInstance;
  lifecycle: Lifecycle;
  dataDir: string;
}

export function startKeyVault(ctx: KeyVaultDeps): KeyVaultServices {
  const { authz } = ctx;
  const vaults = new Vaults(ctx.arm, ctx.store);
  const kv: KeyVaultServices = {
    vaults,
    keys: new KeyStore(ctx.store, ctx.sealer),
    audit: new AuditLog(ctx.store),
    privateEndpoints: new PrivateEndpoints(ctx.store, ctx.arm, vaults, ctx.clock, ctx.app, ctx.dataDir),
    checkKeyAccess: (q) => checkKeyAccess(vaults, authz, q),
  };
  kv.vaults.onChange((name) => kv.keys.dropVault(name));
  registerVaultRoutes({ arm: ctx.arm, vaults: kv.vaults, authz, providers: ctx.providers, tasks: ctx.tasks, clock: ctx.clock, speed: ctx.speed });
  const pool = new CryptoPool();
  registerDataPlane(ctx.app, {
    pool,
    vaults: kv.vaults,
    keys: kv.keys,
    audit: kv.audit,
    authz,
    tokens: ctx.tokens,
    sealer: ctx.sealer,
    clock: ctx.clock,
  });
  ctx.app.register(async (scope) => {
    scope.addHook('onRequest', requireArmToken(ctx.tokens));
    scope.get('/_aksemu/keyvault/vaults/:vault/audit', async (req, reply) => {
      const name = (req.params as { vault: string }).vault;
      const vault = (await kv.vaults.byName(name)) ?? (await kv.vaults.deleted(name))?.vault;
      if (!vault) return reply.code(404).send({ error: { code: 'VaultNotFound', message: `No vault named '${name}'.` } });
      if (!(await authz.grant(req.caller!.objectId, vault.id, 'Microsoft.KeyVault/vaults/read', 'action'))) {
        return reply.code(403).send({ error: { code: 'AuthorizationFailed', message: `The client '${req.caller!.appId}' with object id '${req.caller!.objectId}' does not have authorization to read the audit log of '${vault.id}'.` } });
      }
      const q = new URL(req.url, 'https://x').searchParams;
      const top = q.get('top') === null ? undefined : Number(q.get('top'));
      if (top !== undefined && (!Number.isInteger(top) || top < 1)) return reply.code(400).send({ error: { code: 'InvalidParameter', message: "'top' must be a positive integer." } });
      const events = await kv.audit.read(name, { ...(q.get('since') ? { since: q.get('since')! } : {}), ...(top ? { top } : {}) });
      return reply.send({ value: events });
    });
  });
  ctx.lifecycle.onReady(async () => {
    await kv.privateEndpoints.startAll();
  });
  ctx.lifecycle.onClose(async () => {
    await kv.audit.flush();
    await kv.privateEndpoints.stopAll();
    await pool.close();
  });
  return kv;
}
