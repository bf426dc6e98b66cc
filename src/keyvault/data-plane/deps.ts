/** What the Key Vault data plane runs on: the vault registry, the key store, the audit log and their peers. */
import type { TokenService } from '../../identity/tokens.js';
import type { RoleAssignments } from '../../authorization/role-assignments.js';
import type { Clock } from '../../runtime/clock.js';
import type { Sealer } from '../../secrets/sealer.js';
import type { AuditLog } from '../audit.js';
import type { CryptoPool } from '../crypto-pool.js';
import type { KeyStore } from '../key-store.js';
import type { Vaults } from '../vaults.js';

export interface DataPlaneDeps {
  vaults: Vaults;
  keys: KeyStore;
  audit: AuditLog;
  authz: RoleAssignments;
  tokens: TokenService;
  sealer: Sealer;
  clock: Clock;
  /** Runs RSA private-key operations (worker threads; inline when absent). */
  pool?: CryptoPool;
}

/** What the key operations themselves use (authentication and the audit log stay with the request handler). */
export type OperationDeps = Pick<DataPlaneDeps, 'keys' | 'authz' | 'sealer' | 'clock' | 'pool'>;

/** The emulated clock in whole seconds, the unit of Key Vault's key attributes. */
export function nowSeconds(d: Pick<DataPlaneDeps, 'clock'>): number {
  return Math.floor(d.clock.nowMs() / 1000);
}
