/**
 * The composition root: opens the data directory and the store, bootstraps the directory and the subscription,
 * creates each service module with the dependencies it names, hands what one module provides to those that use
 * it, and starts the background task runner. Only the CLI (`aksemu start`) and tests import this file.
 *
 * Order matters only where one module uses what another returns: the container service before Trusted Launch
 * (its fleet) and the Kubernetes API (its cluster configuration); Key Vault and the Kubernetes API before KMS.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { Arm } from './arm/arm.js';
import { registerArmHttp, armResponseHeaders } from './arm/http.js';
import { enforceAdminRights, type DeclaredAdminRoute } from './frontdoor/admin-rights.js';
import { CustomRoles } from './authorization/custom-roles.js';
import { RoleAssignments } from './authorization/role-assignments.js';
import { ensurePrivateDir, paths, writeInstanceInfo, type InstanceInfo } from './config/data-dir.js';
import { registerAdminRoutes } from './frontdoor/admin-routes.js';
import { registerDashboard } from './frontdoor/ui/module.js';
import { keyScopes } from './frontdoor/ui/scopes.js';
import { clusterRecordKey, type ClusterRecord } from './clusters/cluster-registry.js';
import { createFrontDoor, type FrontDoor, type FrontDoorLimits } from './frontdoor/server.js';
import type { Fleet } from './fleet/fleet.js';
import { Directory } from './identity/directory.js';
import { registerGraphRoutes } from './identity/graph-routes.js';
import { registerLoginRoutes } from './identity/login-routes.js';
import { SignInCodes } from './identity/sign-in-codes.js';
import { TokenService } from './identity/tokens.js';
import { startKube, type Kube } from './kube/module.js';
import { startAuthorization } from './providers/authorization/module.js';
import { defaultPluginWorker } from './kms/plugin-host.js';
import { startAksKms } from './providers/containerservice/kms/module.js';
import type { AksKms } from './providers/containerservice/kms/service.js';
import { clusterLookups } from './providers/containerservice/lookups.js';
import { startContainerService } from './providers/containerservice/module.js';
import type { ContainerService } from './providers/containerservice/service.js';
import { FeatureRegistrations } from './providers/features/features.js';
import { startKeyVault, type KeyVaultServices } from './keyvault/module.js';
import { startKeyVaultProvider } from './providers/keyvault/module.js';
import { startManagedIdentity } from './providers/managedidentity/module.js';
import { startResourceManager } from './providers/resources/module.js';
import { ProviderRegistrations } from './providers/resources/provider-registration.js';
import { registerMetadataEndpoint } from './providers/resources/subscriptions.js';
import { Clock, Speed, type SpeedName } from './runtime/clock.js';
import type { Lifecycle } from './runtime/lifecycle.js';
import { TaskRunner } from './runtime/tasks.js';
import { openCheckedInstance } from './secrets/instance-check.js';
import type { Sealer } from './secrets/sealer.js';
import { getJson } from './store/json.js';
import type { Store } from './store/store.js';
import { startTrustedLaunch } from './trustedlaunch/module.js';
import type { TrustedLaunch } from './trustedlaunch/service.js';
import { LocalCa } from './tls/local-ca.js';
import { newGuid } from './util/ids.js';
import { VERSION } from './version.js';

export const DEFAULT_PORT = 10443;

export interface EmulatorOptions {
  dataDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** 'sqlite' (default), 'sqlite:/path' or 'etcd://h:p,...[/prefix]'. */
  store?: string;
  now?: Date;
  speed?: SpeedName;
  logLevel?: string;
  /** Defaults to a pino logger on stderr (stdout belongs to the CLI's ready line). */
  logger?: Logger;
  /** The front door's deadlines and connection ceiling (src/frontdoor/limits.ts has the defaults). */
  frontDoorLimits?: Partial<FrontDoorLimits>;
  /**
   * The script of the KMS plugins' thread (src/kms/plugin-host.ts); `false` or none (the default, unless
   * `AKSEMU_KMS_PLUGIN_THREAD=1`) runs the plugins on the main thread.
   */
  kmsPluginWorker?: URL | false;
}

/** The instance's own machinery, which every module is built on (tests and the CLI read it too). */
export interface EmulatorCore {
  dataDir: string;
  store: Store;
  clock: Clock;
  speed: Speed;
  log: Logger;
  sealer: Sealer;
  ca: LocalCa;
  directory: Directory;
  tokens: TokenService;
  tasks: TaskRunner;
  arm: Arm;
  providers: ProviderRegistrations;
  features: FeatureRegistrations;
  frontDoor: FrontDoor;
  tenantId: string;
  subscriptionId: string;
  /** Role assignments and the Azure RBAC decisions on them (SPEC Z-1). */
  authz: RoleAssignments;
  /** The `/_aksemu` routes and the right each declares (src/frontdoor/admin-rights.ts). */
  adminRoutes: DeclaredAdminRoute[];
}

/** What the service modules returned (tests and benchmarks look inside them). */
export interface EmulatorServices {
  keyVault: KeyVaultServices;
  containerService: ContainerService;
  fleet: Fleet;
  trustedLaunch: TrustedLaunch;
  kube: Kube;
  kms: AksKms;
}

export interface Emulator {
  url: string;
  port: number;
  info: InstanceInfo;
  core: EmulatorCore;
  services: EmulatorServices;
  close(): Promise<void>;
}

/** Refuses a second emulator on one data directory; a lock left by a dead process is taken over. */
function acquireLock(dataDir: string): () => void {
  const file = paths.lock(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, 'utf8') === String(process.pid)) unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8'));
      let alive = false;
      try {
        if (pid > 0) {
          process.kill(pid, 0);
          alive = true;
        }
      } catch {
        alive = false;
      }
      if (alive && pid !== process.pid) throw new Error(`another aksemu (pid ${pid}) is already running on ${dataDir}`);
      unlinkSync(file);
    }
  }
  throw new Error(`could not lock ${dataDir}`);
}

export async function startEmulator(opts: EmulatorOptions): Promise<Emulator> {
  const dataDir = opts.dataDir;
  ensurePrivateDir(dataDir);
  const releaseLock = acquireLock(dataDir);
  const cleanup: Array<() => Promise<void> | void> = [releaseLock];
  try {
    const log = opts.logger ?? pino({ level: opts.logLevel ?? 'warn', base: { svc: 'aksemu' } }, pino.destination(2));
    // The master key and the store are checked to belong together before anything reads either (SPEC R-1).
    const { sealer, store } = await openCheckedInstance(dataDir, opts.store ?? 'sqlite');
    cleanup.unshift(() => store.close());
    const clock = new Clock(opts.now);
    const speed = new Speed(opts.speed ?? 'instant');
    const directory = new Directory(store, sealer, clock);
    const arm = new Arm(store, clock, speed);
    // Independent first-start work (CA, token signing key, directory) runs concurrently.
    const tokens = TokenService.loadOrCreate(store, sealer, directory);
    const [ca, { tenant, defaultPrincipal, defaultUser }] = await Promise.all([LocalCa.loadOrCreate(dataDir, sealer), directory.bootstrap()]);
    const subscriptionId = await bootstrapSubscription(arm, tenant.tenantId);
    const tasks = new TaskRunner(store, clock, log);
    cleanup.unshift(() => tasks.stop());
    const host = opts.host ?? '127.0.0.1';
    const frontDoor = await createFrontDoor({ host, port: opts.port ?? DEFAULT_PORT, ca, logger: log, limits: opts.frontDoorLimits });
    cleanup.unshift(() => frontDoor.close());
    const authz = new RoleAssignments(store, new CustomRoles(store));
    // Before any `/_aksemu` route exists: each must declare its right, checked before its handler (SPEC Z-1).
    const adminRoutes = enforceAdminRights(frontDoor.app, authz, `/subscriptions/${subscriptionId}`);
    const core: EmulatorCore = {
      dataDir,
      store,
      clock,
      speed,
      log,
      sealer,
      ca,
      directory,
      tokens,
      tasks,
      arm,
      providers: new ProviderRegistrations(arm, tasks),
      features: new FeatureRegistrations(arm, tasks),
      frontDoor,
      tenantId: tenant.tenantId,
      subscriptionId,
      authz,
      adminRoutes,
    };
    const startedAt = new Date().toISOString();
    frontDoor.app.addHook('onRequest', async (req, reply) => armResponseHeaders(req, reply));
    registerMetadataEndpoint(frontDoor.app);
    const signInCodes = new SignInCodes(store);
    registerLoginRoutes(frontDoor.app, directory, tokens, sealer, signInCodes);
    registerGraphRoutes(frontDoor.app, directory, tokens);
    const services = await startServices(core, opts.kmsPluginWorker === false ? undefined : (opts.kmsPluginWorker ?? defaultPluginWorker()));
    registerAdminRoutes(frontDoor.app, {
      tokens,
      clock,
      speed,
      store,
      version: VERSION,
      startedAt,
      statusParts: { keyVaultAudit: () => services.keyVault.audit.status() },
    });
    registerDashboard(frontDoor.app, {
      tokens,
      signInCodes,
      store,
      scopeOfKey: keyScopes({ subscriptionId, clusterIdOf: async (uid) => (await getJson<ClusterRecord>(store, clusterRecordKey(uid)))?.value.armId }),
      // What ARM's GET of the resource needs: a Reader there or above (Reader's */read, Owner's *).
      mayRead: (caller, scope) => authz.allows(caller, scope, 'Microsoft.Resources/subscriptions/resourceGroups/read'),
    });
    registerArmHttp(frontDoor.app, arm, tokens, authz);
    const { url, port } = await frontDoor.listen();
    await tasks.start();
    // A start on a new data directory is ready before its token signing key: fail here if it cannot be made.
    cleanup.unshift(() => tokens.ready().catch(() => undefined));
    const info: InstanceInfo = {
      url,
      host,
      port,
      pid: process.pid,
      store: store.description,
      speed: speed.name,
      startedAt,
      tenantId: tenant.tenantId,
      subscriptionId,
      defaultPrincipal: { appId: defaultPrincipal.appId, objectId: defaultPrincipal.objectId, displayName: defaultPrincipal.displayName },
      defaultUser: { objectId: defaultUser.objectId, userPrincipalName: defaultUser.userPrincipalName, displayName: defaultUser.displayName },
    };
    writeInstanceInfo(dataDir, info);
    let closed = false;
    return {
      url,
      port,
      info,
      core,
      services,
      close: async () => {
        if (closed) return;
        closed = true;
        for (const step of cleanup) await step();
      },
    };
  } catch (err) {
    for (const step of cleanup) await Promise.resolve(step()).catch(() => undefined);
    throw err;
  }
}

/** The one subscription of the instance, created on first start. */
async function bootstrapSubscription(arm: Arm, tenantId: string): Promise<string> {
  const existing = (await arm.subscriptions())[0];
  if (existing) return existing.subscriptionId;
  const subscriptionId = newGuid();
  await arm.createSubscription({
    id: `/subscriptions/${subscriptionId}`,
    subscriptionId,
    tenantId,
    displayName: 'aksemu',
    state: 'Enabled',
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
  });
  return (await arm.subscriptions())[0]!.subscriptionId;
}

/** Creates every service module with what it names, in the order their dependencies dictate. */
async function startServices(core: EmulatorCore, kmsPluginWorker: URL | undefined): Promise<EmulatorServices> {
  const { store, arm, clock, speed, tasks, log, sealer, tokens, directory, providers, features, frontDoor, tenantId, subscriptionId, dataDir, authz } = core;
  const app = frontDoor.app;
  const lifecycle: Lifecycle = {
    onReady: (step) => app.addHook('onReady', async () => step()),
    onClose: (step) => app.addHook('onClose', async () => step()),
  };
  const caPem = core.ca.certPem;
  const url = () => frontDoor.url();

  startResourceManager({ arm, directory, tasks, providers, features, authorizer: authz });
  await startAuthorization({ arm, directory, clock, assignments: authz, subscriptionId });
  startManagedIdentity({ arm, app, directory, tokens, sealer, providers, authz });
  const keyVault = startKeyVault({ store, arm, clock, sealer, tokens, authz, app, lifecycle, dataDir });
  startKeyVaultProvider({ arm, vaults: keyVault.vaults, authz, providers, tasks, clock, speed });
  const { service: containerService, fleet, clusterConfig } = await startContainerService({
    store,
    arm,
    clock,
    speed,
    tasks,
    log,
    directory,
    providers,
    features,
    tenantId,
    app,
    tokens,
    caPem,
    url,
    lookups: clusterLookups({ store, arm, keyVault, tenantId }),
  });
  const trustedLaunch = startTrustedLaunch({ store, clock, sealer, tenantId, fleet, arm, app, tokens });
  const dataActionGranted = async (principalId: string, scope: string, dataAction: string) =>
    (await authz.grant(principalId, scope, dataAction, 'dataAction')) !== undefined;
  const kube = await startKube({ store, clock, speed, log, tokens, tasks, frontDoor, lifecycle, caPem, clusterConfig, dataActionGranted });
  // SPEC W-14: the fleet drains a node through the cluster's evictions (disruption budgets) before reimaging it.
  fleet.addDrainHook((uid, node) => kube.drainNode(uid, node));
  const kms = startAksKms({
    store,
    arm,
    clock,
    tasks,
    log,
    dataDir,
    sealer,
    tokens,
    subscriptionId,
    caPem,
    frontDoor,
    keyVault,
    authz,
    containerService,
    kube,
    lifecycle,
    ...(kmsPluginWorker ? { pluginWorker: kmsPluginWorker } : {}),
  });
  return { keyVault, containerService, fleet, trustedLaunch, kube, kms };
}
