/**
 * The clusters' KMS machinery at run time: for each cluster with a KMS configuration (state.ts), the KMS plugins
 * it needs — one per configured key, each a gRPC server on its own unix socket `<dataDir>/kms/<uid>/<id>.sock`
 * (started through src/kms/plugin-host.ts: on the main thread, or on a thread of their own),
 * authenticated as the cluster's user-assigned identity (SPEC K-4) and reaching Key Vault over HTTPS through
 * aksemu's front door (public vaults) or the vault's private endpoint socket (private vaults, SPEC K-6) — and the
 * storage transformer chain of the cluster's API server, which talks to them only over their sockets.
 *
 * Health is kube-apiserver's: each KMS provider has a probe (v1: an Encrypt; v2: a Status), answered from a cache
 * for 20 s when healthy and 3 s when not. Until Kubernetes 1.28 the KMS checks are part of `/livez`, so a probe that
 * turns unhealthy restarts the API server, as its liveness probe would: the transformers' caches (DEKs, seeds) are
 * dropped, and from then on only what the plugins can still decrypt is readable (SPEC K-3, K-8). From 1.29 they are
 * in `/healthz` and `/readyz` only: the API server stays up and keeps what it has cached (KMS v2: the current seed
 * keeps serving writes until its write state expires, decrypted seeds serve reads for 24 h; SPEC K-13). Every
 * minute the providers are probed in the background (the v2 Status poll), so a deleted or disabled key is noticed
 * without a client asking.
 *
 * Nothing here is state: everything is rebuilt from the store after a restart.
 */
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import type { AksKmsDeps } from './deps.js';
import { ProviderChain } from '../../../encryption/chain.js';
import { IdentityProvider } from '../../../encryption/identity.js';
import { KmsV1Provider } from '../../../encryption/kms-v1.js';
import { KMS_V2_TIMING, KmsV2Provider } from '../../../encryption/kms-v2.js';
import { SeedCryptoPool } from '../../../encryption/seed-crypto-pool.js';
import type { EncryptionProvider } from '../../../encryption/types.js';
import { InProcessPluginHost, ThreadPluginHost, type PluginHandle, type PluginHost } from '../../../kms/plugin-host.js';
import type { PluginSpec, VaultRoute } from '../../../kms/plugin-spec.js';
import { getJson } from '../../../store/json.js';
import { identityHeaderFor, MSI_PATH } from '../../managedidentity/msi-secret.js';
import { kmsChecksInLivez, kmsStateKey, providerOrder, type KmsClusterState, type KmsKeyRecord } from './state.js';

/**
 * The transformers' gRPC clients, loaded the first time a cluster needs them: gRPC is a good part of a start-up that
 * most instances (no KMS cluster yet) would pay for nothing.
 */
let machinery: Promise<typeof import('./runtime-machinery.js')> | undefined;
const loadMachinery = () => (machinery ??= import('./runtime-machinery.js'));

export const PROBE_TTL = { healthyMs: 20_000, unhealthyMs: 3_000 };
const BACKGROUND_PROBE_MS = 60_000;

export interface ProviderStatus {
  /** kube-apiserver's check name. */
  check: string;
  name: string;
  kid: string;
  api: 'v1' | 'v2';
  access: 'Public' | 'Private';
  /** 'write' for the provider that encrypts new values, 'read' for the others. */
  role: 'write' | 'read';
  healthy: boolean;
  message?: string;
  /** The external plugin serving this key (SPEC X-4), absent for aksemu's own. */
  plugin?: string;
}

export interface KmsHealthReport {
  healthy: boolean;
  checkedAt: string;
  providers: ProviderStatus[];
  /** Times the API server was restarted by a failing probe (caches dropped). */
  apiServerRestarts: number;
  /** Whether the KMS checks are part of the API server's `/livez` (Kubernetes before 1.29). */
  inLivez: boolean;
}

interface ClusterRuntime {
  generation: number;
  plugins: PluginHandle[];
  chain: ProviderChain;
  records: Map<EncryptionProvider, KmsKeyRecord>;
  probe?: { atMs: number; report: KmsHealthReport };
  probing?: Promise<KmsHealthReport>;
  restarts: number;
}

export class KmsRuntime {
  private readonly states = new Map<string, KmsClusterState | undefined>();
  private readonly clusters = new Map<string, Promise<ClusterRuntime>>();
  private readonly restarts = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private pool: SeedCryptoPool | undefined;
  /** Where the clusters' plugins run (the main thread by default, or a thread of their own). */
  readonly pluginHost: PluginHost;

  constructor(
    private readonly deps: AksKmsDeps,
    /** The Kubernetes version of cluster `uid`'s API server (which health endpoints carry the KMS checks). */
    private readonly kubernetesVersion: (uid: string) => Promise<string | undefined> = async () => undefined,
  ) {
    this.pluginHost = deps.pluginWorker ? new ThreadPluginHost(deps.pluginWorker, (err) => this.pluginsLost(err)) : new InProcessPluginHost();
  }

  /**
   * The plugins' thread died, and every cluster's plugins with it: each cluster's API server is rebuilt on its next
   * request, which starts its plugins on a new thread (as kube-apiserver would find a restarted plugin).
   */
  private pluginsLost(err: Error): void {
    this.deps.log.error({ err }, 'the KMS plugins thread ended; the clusters\' plugins start again on their next request');
    const all = [...this.clusters.values()];
    this.clusters.clear();
    for (const p of all) void p.then((rt) => rt.chain.close()).catch(() => undefined);
  }

  // ------------------------------------------------------------------------------------------- configuration

  /** The cluster's KMS configuration (cached: this process is its only writer, through `stateChanged`). */
  async state(uid: string): Promise<KmsClusterState | undefined> {
    if (this.states.has(uid)) return this.states.get(uid);
    const s = (await getJson<KmsClusterState>(this.deps.store, kmsStateKey(uid)))?.value;
    this.states.set(uid, s);
    return s;
  }

  /** After the service wrote a new configuration: the next request builds the new chain (an API server restart). */
  async stateChanged(uid: string, state: KmsClusterState | undefined): Promise<void> {
    this.states.set(uid, state);
    const old = this.clusters.get(uid);
    if (!old) return;
    const rt = await old.catch(() => undefined);
    if (rt && state && rt.generation === state.generation) return;
    this.clusters.delete(uid);
    if (rt) await this.shutdown(rt);
  }

  /** The storage transformer of the cluster's secrets, or undefined when KMS was never configured (identity). */
  async transformer(uid: string): Promise<ProviderChain | undefined> {
    const rt = await this.runtime(uid);
    return rt?.chain;
  }

  private async runtime(uid: string): Promise<ClusterRuntime | undefined> {
    const state = await this.state(uid);
    if (!state) return undefined;
    let p = this.clusters.get(uid);
    if (p) {
      const rt = await p.catch(() => undefined);
      if (rt && rt.generation === state.generation) return rt;
      if (this.clusters.get(uid) === p) this.clusters.delete(uid);
      if (rt) await this.shutdown(rt);
    }
    p = this.build(uid, state);
    this.clusters.set(uid, p);
    p.catch(() => this.clusters.get(uid) === p && this.clusters.delete(uid));
    this.ensureTimer();
    return p;
  }

  private socketPath(uid: string, key: KmsKeyRecord): string {
    return join(this.deps.dataDir, 'kms', uid, `${key.keyIdHash.slice(0, 16)}.sock`);
  }

  /** How the plugin of `key` reaches Key Vault: the front door as a proxy, or the vault's private endpoint. */
  private async routeFor(key: KmsKeyRecord): Promise<VaultRoute> {
    if (key.access === 'Private') {
      const pes = await this.deps.keyVault.privateEndpoints.list();
      const pe = pes.find((r) => r.id.toLowerCase() === (key.privateEndpointId ?? '').toLowerCase());
      // Without its private endpoint the plugin has no route to a private vault: it gets a socket that does not
      // exist, and every call fails as a real plugin's would.
      const path = pe ? this.deps.keyVault.privateEndpoints.socketPath(pe) : join(this.deps.dataDir, 'pe', 'missing-private-endpoint.sock');
      return { kind: 'socket', path };
    }
    return { kind: 'proxy', ...this.frontDoor() };
  }

  /** The front door's direct address (the plugins' proxy and managed identity endpoint). */
  private frontDoor(): { host: string; port: number } {
    const url = this.deps.frontDoor.url();
    if (!url) throw new Error('aksemu is not listening yet');
    const u = new URL(url);
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) };
  }

  private async build(uid: string, state: KmsClusterState): Promise<ClusterRuntime> {
    const { KmsV1Client, KmsV2Client } = await loadMachinery();
    const plugins = new Map<string, PluginHandle>();
    const { host, port } = this.frontDoor();
    const msi = {
      url: `https://${host.includes(':') ? `[${host}]` : host}:${port}${MSI_PATH}`,
      secret: identityHeaderFor(this.deps.sealer, state.identity.principalId),
      clientId: state.identity.clientId,
      ca: this.deps.caPem,
    };
    const records = new Map<EncryptionProvider, KmsKeyRecord>();
    const providers: EncryptionProvider[] = [];
    try {
      for (const entry of providerOrder(state)) {
        if (entry.kind === 'identity') {
          providers.push(new IdentityProvider());
          continue;
        }
        const key = entry.key;
        // An external plugin (SPEC X-4) is reached only through its socket, exactly as aksemu's own.
        const endpoint = key.plugin ?? `unix://${this.socketPath(uid, key)}`;
        if (!key.plugin && !plugins.has(endpoint)) {
          const spec: PluginSpec = { listenAddr: endpoint, kid: key.kid, route: await this.routeFor(key), ca: this.deps.caPem, msi, userAgentPrefix: 'k8s-kms-keyvault/aksemu' };
          plugins.set(endpoint, await this.pluginHost.start(spec));
        }
        const provider = key.api === 'v1' ? new KmsV1Provider(key.name, new KmsV1Client(endpoint)) : new KmsV2Provider(key.name, new KmsV2Client(endpoint), () => this.deps.clock.nowMs(), KMS_V2_TIMING, this.seedCryptoPool());
        records.set(provider, key);
        providers.push(provider);
      }
    } catch (err) {
      for (const p of providers) p.close();
      for (const p of plugins.values()) await p.stop();
      throw err;
    }
    return { generation: state.generation, plugins: [...plugins.values()], chain: new ProviderChain(providers), records, restarts: this.restarts.get(uid) ?? 0 };
  }

  private async shutdown(rt: ClusterRuntime): Promise<void> {
    rt.chain.close();
    for (const p of rt.plugins) await p.stop();
  }

  // ------------------------------------------------------------------------------------------- health

  /** The cluster's KMS health (kube-apiserver's kms-provider checks), from the probe cache unless `force`. */
  async health(uid: string, opts: { force?: boolean } = {}): Promise<KmsHealthReport | undefined> {
    const rt = await this.runtime(uid);
    if (!rt) return undefined;
    const now = this.deps.clock.nowMs();
    if (!opts.force && rt.probe) {
      const ttl = rt.probe.report.healthy ? PROBE_TTL.healthyMs : PROBE_TTL.unhealthyMs;
      if (now - rt.probe.atMs < ttl) return rt.probe.report;
    }
    rt.probing ??= this.probe(uid, rt).finally(() => (rt.probing = undefined));
    return rt.probing;
  }

  private async probe(uid: string, rt: ClusterRuntime): Promise<KmsHealthReport> {
    const results = await rt.chain.health();
    const writer = rt.chain.writer;
    const providers: ProviderStatus[] = results.map(({ provider, health }, i) => {
      const key = rt.records.get(provider)!;
      return {
        check: `kms-provider-${i}`,
        name: provider.name,
        kid: key.kid,
        api: key.api,
        access: key.access,
        role: provider === writer ? 'write' : 'read',
        healthy: health.ok,
        ...(health.message ? { message: health.message } : {}),
        ...(key.plugin ? { plugin: key.plugin } : {}),
      };
    });
    const healthy = providers.every((p) => p.healthy);
    const wasHealthy = rt.probe?.report.healthy ?? true;
    const inLivez = kmsChecksInLivez(await this.kubernetesVersion(uid).catch(() => undefined));
    if (!healthy && wasHealthy && inLivez) {
      // The liveness probe fails: the API server is restarted and loses every cached DEK and seed.
      rt.chain.dropCaches();
      rt.restarts++;
      this.restarts.set(uid, rt.restarts);
    }
    const report: KmsHealthReport = { healthy, checkedAt: this.deps.clock.iso(), providers, apiServerRestarts: rt.restarts, inLivez };
    rt.probe = { atMs: this.deps.clock.nowMs(), report };
    return report;
  }

  private ensureTimer(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      for (const uid of this.clusters.keys()) void this.health(uid).catch(() => undefined);
    }, BACKGROUND_PROBE_MS);
    this.timer.unref();
  }

  // ------------------------------------------------------------------------------------------- lifecycle

  /** Stops a cluster's plugins and forgets it (cluster deleted). */
  async stopCluster(uid: string): Promise<void> {
    const p = this.clusters.get(uid);
    this.clusters.delete(uid);
    this.states.delete(uid);
    this.restarts.delete(uid);
    const rt = await p?.catch(() => undefined);
    if (rt) await this.shutdown(rt);
    rmSync(join(this.deps.dataDir, 'kms', uid), { recursive: true, force: true });
  }

  /**
   * The worker thread of the KMS v2 transformers' per-object cryptography, started with the first KMS v2 provider
   * (`AKSEMU_KMS_CRYPTO_WORKERS=0`: none, the transformers encrypt on the main thread).
   */
  private seedCryptoPool(): SeedCryptoPool | undefined {
    if (process.env.AKSEMU_KMS_CRYPTO_WORKERS === '0') return undefined;
    this.pool ??= new SeedCryptoPool();
    return this.pool;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const all = [...this.clusters.values()];
    this.clusters.clear();
    for (const p of all) {
      const rt = await p.catch(() => undefined);
      if (rt) await this.shutdown(rt);
    }
    await this.pool?.close();
    await this.pluginHost.close();
  }
}
