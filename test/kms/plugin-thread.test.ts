/**
 * The KMS plugins' own thread (src/kms/plugin-host.ts, `AKSEMU_KMS_PLUGIN_THREAD=1`): the plugins aksemu runs for
 * its clusters serve their sockets from a worker thread, not from the emulator's main thread; a failed start is the
 * caller's error; a thread
 * that dies takes its plugins with it, is reported, and the clusters' API servers start theirs again on their next
 * request, with nothing lost. The thread's script is the one global-setup.ts bundles from these sources.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { threadId } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsV1Client, KmsV2Client } from '../../src/encryption/kms-api/client.js';
import { InProcessPluginHost, ThreadPluginHost } from '../../src/kms/plugin-host.js';
import type { PluginSpec } from '../../src/kms/plugin-spec.js';
import { removeDataDir, startTestEmulator, testPluginWorker, useEnvironment } from '../../testkit/emulator.js';
import { kubeApi, type KubeApiClient } from '../../testkit/kube/kube-env.js';
import { identity, importKey, kit, kmsCluster, rawCluster, resourceGroup, setPolicy, vault } from './fixtures.js';
import { tempSocket } from './support.js';

const script = process.env.AKSEMU_TEST_PLUGIN_WORKER;
if (!script) throw new Error('AKSEMU_TEST_PLUGIN_WORKER is not set: run the tests through vitest (testkit/global-setup.ts bundles the plugins’ thread)');

/** A plugin whose vault is behind a proxy that does not exist: everything but Key Vault works. */
function unreachableSpec(socket: string): PluginSpec {
  return {
    listenAddr: `unix://${socket}`,
    kid: 'https://kv-thread.vault.azure.net/keys/etcd/0123456789abcdef0123456789abcdef',
    route: { kind: 'proxy', host: '127.0.0.1', port: 1 },
    ca: '',
    msi: { url: 'https://127.0.0.1:1/_msi/token', secret: 'unused', clientId: 'unused', ca: '' },
    userAgentPrefix: 'test',
  };
}

describe('the plugins’ thread', () => {
  it('serves a plugin from a worker thread; stopping it closes its socket', async () => {
    const host = new ThreadPluginHost(pathToFileURL(script));
    try {
      const socket = tempSocket();
      const plugin = await host.start(unreachableSpec(socket));
      expect(host.thread?.threadId).toBeGreaterThan(threadId);
      const v1 = new KmsV1Client(`unix://${socket}`, 5_000);
      expect(await v1.version()).toMatchObject({ version: 'v1beta1', runtime_name: 'Microsoft AzureKMS' });
      // Key Vault is reached from the thread, through the spec's route: here a proxy that is not there.
      await expect(new KmsV2Client(`unix://${socket}`, 5_000).encrypt(Buffer.from('dek'))).rejects.toThrow(/failed to encrypt, error: .*(ECONNREFUSED|connect)/);
      await plugin.stop();
      await expect(v1.version()).rejects.toThrow();
      v1.close();
    } finally {
      await host.close();
    }
  });

  it('refuses a plugin that cannot listen, with the reason, and keeps serving the others', async () => {
    const host = new ThreadPluginHost(pathToFileURL(script));
    try {
      // Its directory would be under a file.
      const file = tempSocket('not-a-directory');
      writeFileSync(file, '');
      await expect(host.start(unreachableSpec(`${file}/kms.sock`))).rejects.toThrow(/EEXIST: file already exists, mkdir|ENOTDIR/);
      const socket = tempSocket();
      await host.start(unreachableSpec(socket));
      expect(await new KmsV1Client(`unix://${socket}`, 5_000).version()).toMatchObject({ version: 'v1beta1' });
    } finally {
      await host.close();
    }
  });

  for (const [where, makeHost] of [
    ['on the plugins’ thread', () => new ThreadPluginHost(pathToFileURL(script!))],
    ['on the main thread', () => new InProcessPluginHost()],
  ] as const) {
    it(`a plugin replaced on its socket (an API server restart keeps the key) is stopped without taking the new one’s socket, ${where}`, async () => {
      const host = makeHost();
      try {
        const socket = tempSocket();
        const old = await host.start(unreachableSpec(socket));
        await host.start(unreachableSpec(socket));
        await old.stop();
        expect(existsSync(socket)).toBe(true);
        expect(await new KmsV1Client(`unix://${socket}`, 5_000).version()).toMatchObject({ version: 'v1beta1' });
      } finally {
        await host.close();
      }
    });
  }

  it('reports a thread that died, and the next start brings up a new one', async () => {
    const lost: Error[] = [];
    const host = new ThreadPluginHost(pathToFileURL(script), (err) => lost.push(err));
    try {
      const socket = tempSocket();
      await host.start(unreachableSpec(socket));
      const first = host.thread!;
      await first.terminate();
      expect(lost.map((e) => e.message)).toEqual([expect.stringContaining("the KMS plugins' thread exited")]);
      expect(host.thread).toBeUndefined();
      await expect(new KmsV1Client(`unix://${socket}`, 2_000).version()).rejects.toThrow();
      // (Another socket: gRPC's clients share one connection per target, which has just failed and waits to retry.)
      const again = tempSocket();
      await host.start(unreachableSpec(again));
      expect(host.thread).toBeDefined();
      expect(host.thread).not.toBe(first);
      expect(await new KmsV1Client(`unix://${again}`, 5_000).version()).toMatchObject({ version: 'v1beta1' });
    } finally {
      await host.close();
    }
  });
});

describe('a KMS cluster whose plugins’ thread dies', () => {
  let emu: Awaited<ReturnType<typeof startTestEmulator>>;
  let api: KubeApiClient;
  const rg = 'kms-thread';

  beforeAll(async () => {
    emu = await startTestEmulator({ now: new Date('2025-09-01T00:00:00Z'), ...testPluginWorker() });
    useEnvironment(emu.env);
    const k = kit(emu.env);
    await resourceGroup(k, rg);
    await vault(k, rg, 'kv-kms-thread');
    const id = await identity(k, rg, 'ThreadIdentity');
    await setPolicy(k, rg, 'kv-kms-thread', id.principalId);
    const key = await importKey(k, 'kv-kms-thread', 'etcd');
    const mc = await k.aks.managedClusters.beginCreateOrUpdateAndWait(rg, 'kms-thread', kmsCluster({ identityId: id.id, kid: key.kid }));
    const raw = await rawCluster(emu.url, emu.env, mc.id!);
    expect(raw.properties.securityProfile.azureKeyVaultKms.enabled).toBe(true);
    api = await kubeApi(emu, { armId: mc.id! });
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  const create = async (name: string) => expect((await api.call('POST', '/api/v1/namespaces/default/secrets', { metadata: { name }, stringData: { v: name } })).status).toBe(201);
  const read = async (name: string) => {
    const r = await api.call('GET', `/api/v1/namespaces/default/secrets/${name}`);
    expect(r.status, r.body.toString()).toBe(200);
    return Buffer.from(r.json<{ data: { v: string } }>().data.v, 'base64').toString();
  };

  it('starts its plugins again on the next request: what was written reads back, new writes work', async () => {
    const host = emu.services.kms.runtime.pluginHost;
    expect(host).toBeInstanceOf(ThreadPluginHost);
    await create('before');
    const thread = (host as ThreadPluginHost).thread!;
    expect(thread).toBeDefined();
    await thread.terminate();
    expect(await read('before')).toBe('before');
    await create('after');
    expect(await read('after')).toBe('after');
    const next = (host as ThreadPluginHost).thread;
    expect(next).toBeDefined();
    expect(next).not.toBe(thread);
  });
});
