/**
 * The composition root: opens the data directory and the store, bootstraps the directory and the subscription,
 * wires every service module onto the front door and starts the background task runner.
 *
 * A service module (a resource provider, Key Vault, the clusters' Kubernetes APIs...) is a function that receives
 * the EmulatorContext and registers its ARM routes, resource types, fastify plugins and task handlers. Adding a
 * feature is adding a module to MODULES.
 */
import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import { Arm } from './arm/arm.js';
import { registerArmHttp, armResponseHeaders } from './arm/http.js';
import { registerOperationRoutes } from './arm/operation-routes.js';
import { ensurePrivateDir, paths, writeInstanceInfo, type InstanceInfo } from './config/data-dir.js';
import { registerAdminRoutes } from './frontdoor/admin-routes.js';
import { createFrontDoor, type FrontDoor } from './frontdoor/server.js';
import { Directory } from './identity/directory.js';
import { registerGraphRoutes } from './identity/graph-routes.js';
import { registerLoginRoutes } from './identity/login-routes.js';
import { TokenService } from './identity/tokens.js';
import { FeatureRegistrations, registerFeatureRoutes } from './providers/features/features.js';
import { registerGenericResources } from './providers/resources/generic-resources.js';
import { ProviderRegistrations, registerProviderRoutes } from './providers/resources/provider-registration.js';
import { registerResourceGroups } from './providers/resources/resource-groups.js';
import { registerMetadataEndpoint, registerSubscriptionRoutes } from './providers/resources/subscriptions.js';
import { Clock, Speed, type SpeedName } from './runtime/clock.js';
import { TaskRunner } from './runtime/tasks.js';
import { containerServiceModule } from './providers/containerservice/index.js';
import { trustedLaunchModule } from './trustedlaunch/index.js';
import { Sealer, loadOrCreateMasterKey } from './secrets/sealer.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { LocalCa } from './tls/local-ca.js';
import { newGuid } from './util/ids.js';
import { VERSION } from './version.js';
import { kubeModule } from './kube/module.js';
import { authorizationModule } from './providers/authorization/module.js';
import { managedIdentityModule } from './providers/managedidentity/module.js';
import { keyVaultModule } from './providers/keyvault/module.js';
import { aksKmsModule } from './providers/containerservice/kms/module.js';

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
}

/** Everything a service module may use. Layers call downward only (ARCHITECTURE "rules of the road"). */
export interface EmulatorContext {
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
}

export type EmulatorModule = (ctx: EmulatorContext) => void | Promise<void>;

/** ARM's own APIs: subscriptions, resource groups, generic resources, providers, features, operations. */
const resourceManagerModule: EmulatorModule = (ctx) => {
  registerSubscriptionRoutes(ctx.arm, ctx.directory);
  registerResourceGroups(ctx.arm, ctx.tasks);
  registerGenericResources(ctx.arm);
  registerProviderRoutes(ctx.arm, ctx.providers);
  registerFeatureRoutes(ctx.arm, ctx.features);
  registerOperationRoutes(ctx.arm);
  for (const ns of ['Microsoft.Resources', 'Microsoft.ContainerService', 'Microsoft.KeyVault', 'Microsoft.ManagedIdentity', 'Microsoft.Authorization', 'Microsoft.Network', 'Microsoft.Compute']) {
    ctx.arm.types.declareNamespace(ns);
  }
};

export const MODULES: EmulatorModule[] = [resourceManagerModule, containerServiceModule, trustedLaunchModule, authorizationModule, managedIdentityModule, keyVaultModule, kubeModule, aksKmsModule];

export interface Emulator {
  url: string;
  port: number;
  info: InstanceInfo;
  ctx: EmulatorContext;
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

export async function startEmulator(opts: EmulatorOptions, modules: EmulatorModule[] = MODULES): Promise<Emulator> {
  const dataDir = opts.dataDir;
  ensurePrivateDir(dataDir);
  const releaseLock = acquireLock(dataDir);
  const cleanup: Array<() => Promise<void> | void> = [releaseLock];
  try {
    const log = opts.logger ?? pino({ level: opts.logLevel ?? 'warn', base: { svc: 'aksemu' } }, pino.destination(2));
    const sealer = new Sealer(loadOrCreateMasterKey(paths.masterKey(dataDir)));
    const store = await openStore(opts.store ?? 'sqlite', dataDir);
    cleanup.unshift(() => store.close());
    const clock = new Clock(opts.now);
    const speed = new Speed(opts.speed ?? 'instant');
    const directory = new Directory(store, sealer, clock);
    const arm = new Arm(store, clock, speed);
    // Independent first-start work (CA, token signing key, directory) runs concurrently.
    const tokens = TokenService.loadOrCreate(store, sealer);
    const [ca, { tenant, defaultPrincipal, defaultUser }] = await Promise.all([LocalCa.loadOrCreate(dataDir, sealer), directory.bootstrap()]);
    const subscriptionId = await bootstrapSubscription(arm, tenant.tenantId);
    const tasks = new TaskRunner(store, clock, log);
    cleanup.unshift(() => tasks.stop());
    const host = opts.host ?? '127.0.0.1';
    const frontDoor = await createFrontDoor({ host, port: opts.port ?? DEFAULT_PORT, ca, logger: log });
    cleanup.unshift(() => frontDoor.close());
    const ctx: EmulatorContext = {
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
    };
    const startedAt = new Date().toISOString();
    frontDoor.app.addHook('onRequest', async (req, reply) => armResponseHeaders(req, reply));
    registerMetadataEndpoint(frontDoor.app);
    registerLoginRoutes(frontDoor.app, directory, tokens, sealer);
    registerGraphRoutes(frontDoor.app, directory, tokens);
    registerAdminRoutes(frontDoor.app, { tokens, clock, speed, store, version: VERSION, startedAt });
    for (const module of modules) await module(ctx);
    registerArmHttp(frontDoor.app, arm, tokens);
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
      ctx,
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

/** Exposed for `aksemu env`: whether a data directory has been initialised by a start. */
export function isInitialised(dataDir: string): boolean {
  return existsSync(paths.masterKey(dataDir)) && existsSync(paths.caCert(dataDir));
}
