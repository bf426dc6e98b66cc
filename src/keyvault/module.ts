/**
 * Key Vault (SPEC V-1..V-5): the vault model, keys, the data plane (`/_vault/<vault>`,
 * host `<vault>.vault.azure.net`), private endpoints, and the audit log API
 * (`GET /_aksemu/keyvault/vaults/<vault>/audit[?since=ISO&top=N]`, aksemu's Aksemu.Emulator/keyVaultAudit/read right on the vault).
 *
 * The vaults' management plane (ARM) is the Microsoft.KeyVault provider (src/providers/keyvault), which gets the
 * vault model from here. Wired by the composition root, which hands what it returns to the features that use Key
 * Vault: the KMS feature
 * creates a private endpoint for a vault in a cluster's node resource group with `privateEndpoints.create({...})`
 * and connects its plugin to the returned `socketPath`; the cluster rules check key access (SPEC K-5).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Arm } from '../arm/arm.js';
import type { TokenService } from '../identity/tokens.js';
import type { Clock } from '../runtime/clock.js';
import type { Lifecycle } from '../runtime/lifecycle.js';
import type { Sealer } from '../secrets/sealer.js';
import type { Store } from '../store/store.js';
import { requireArmToken } from '../arm/http.js';
import { AuditLog } from './audit.js';
import { CryptoPool } from './crypto-pool.js';
import { registerDataPlane } from './data-plane.js';
import { KeyStore } from './key-store.js';
import type { RoleAssignments } from '../authorization/role-assignments.js';
import { checkKeyAccess, type KeyAccessAnswer, type KeyAccessQuery } from './key-access.js';
import { PrivateEndpoints } from './private-endpoints.js';
import { Vaults } from './vaults.js';

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
  sealer: Sealer;
  tokens: TokenService;
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
    const vaultNamed = async (name: string) => (await kv.vaults.byName(name)) ?? (await kv.vaults.deleted(name))?.vault;
    // The vault is the scope of its audit log's right (SPEC Z-1); an unknown vault is checked over the instance.
    const right = { action: 'Aksemu.Emulator/keyVaultAudit/read', scope: async (req: FastifyRequest) => (await vaultNamed((req.params as { vault: string }).vault))?.id };
    scope.get('/_aksemu/keyvault/vaults/:vault/audit', { config: { adminRight: right } }, async (req, reply) => {
      const name = (req.params as { vault: string }).vault;
      const vault = await vaultNamed(name);
      if (!vault) return reply.code(404).send({ error: { code: 'VaultNotFound', message: `No vault named '${name}'.` } });
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
    await kv.audit.close();
    await kv.privateEndpoints.stopAll();
    await pool.close();
  });
  return kv;
}
