/**
 * What the KMS feature of managed clusters needs from the rest of the emulator, named one by one: the store and
 * clock, ARM documents, the instance's CA and address (its plugins reach Key Vault over HTTPS, as a cluster's
 * plugin does), the Key Vault service (vaults, private endpoints) and the role assignments (SPEC K-5).
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Arm } from '../../../arm/arm.js';
import type { RoleAssignments } from '../../../authorization/role-assignments.js';
import type { TokenService } from '../../../identity/tokens.js';
import type { Clock } from '../../../runtime/clock.js';
import type { TaskRunner } from '../../../runtime/tasks.js';
import type { Sealer } from '../../../secrets/sealer.js';
import type { Store } from '../../../store/store.js';
import type { KeyVaultServices } from '../../../keyvault/module.js';

export interface AksKmsDeps {
  store: Store;
  arm: Arm;
  clock: Clock;
  tasks: TaskRunner;
  log: Logger;
  dataDir: string;
  sealer: Sealer;
  tokens: TokenService;
  subscriptionId: string;
  /** The instance's CA certificate, which the plugins trust. */
  caPem: string;
  /** The instance's HTTPS address once it listens, and the HTTP app the encryption API is served on. */
  frontDoor: { url(): string | undefined; app: FastifyInstance };
  keyVault: Pick<KeyVaultServices, 'vaults' | 'privateEndpoints'>;
  authz: RoleAssignments;
  /** The script of the KMS plugins' thread (src/kms/plugin-host.ts); without one, plugins run on the main thread. */
  pluginWorker?: URL;
}
