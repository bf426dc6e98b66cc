/**
 * SPEC R-2 during a KMS key rotation (K-2, K-3), done as the KMS article does it: a new version of the Key Vault
 * key, `az aks update` with the new key id, then `kubectl get secrets --all-namespaces -o json | kubectl replace -f -`.
 * `aksemu start` is killed with SIGKILL twice on the way — as soon as the update is acknowledged, and in the middle
 * of the replace — and restarted on the same data directory each time. Throughout, every secret reads back with its
 * value (through the API and with the test's own decryption at rest), none is unreadable, each secret kubectl saw
 * replaced is under the new key version, and once the replace is run again every secret is under the new version.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { paths } from '../../src/config/data-dir.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { CLI, spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { kubectl, type KubectlHome } from '../../testkit/kube/kube-env.js';
import { describeWith } from '../../testkit/optional.js';
import { waitFor } from '../../testkit/wait.js';
import { decryptSecret, kidHash, rawSecret } from '../kms/at-rest.js';
import { importKey, rawCluster, type TestKey } from '../kms/fixtures.js';
import { kmsFixture, kubeEndpoint, kubectlFor, type KmsFixture } from './kms-cluster.js';
import { call, keepAliveAgent, printFigures } from './traffic.js';

const NAMESPACES = ['default', 'team-a', 'team-b'];
const PER_NAMESPACE = 100;
/** Secrets kubectl has replaced when the second kill lands (of NAMESPACES.length × PER_NAMESPACE). */
const KILL_AFTER_REPLACED = 100;
const run = promisify(execFile);

async function aksemu(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Secret names are unique across namespaces, so kubectl's "secret/<name> replaced" lines name one secret each. */
interface Written {
  ns: string;
  name: string;
  value: string;
}

describeWith(['kubectl'], 'SIGKILL during a KMS key rotation (new key version, aks update, get | replace)', () => {
  let emu: SpawnedEmulator;
  let f: KmsFixture;
  let v2: TestKey;
  const written: Written[] = [];
  const agent = keepAliveAgent(16);
  const secondsSince = (t: number) => Math.round((Date.now() - t) / 100) / 10;
  const target = () => ['-g', f.rg, '-n', f.cluster, '--data-dir', emu.dataDir];

  /** Every secret as the real kubectl reads it across namespaces: name → value (fails on any unreadable one). */
  const readAll = async (h: KubectlHome) => {
    const got = await kubectl(h, ['get', 'secrets', '--all-namespaces', '-o', 'json']);
    expect(got.code, got.stderr).toBe(0);
    return { json: got.stdout, values: new Map((got.json().items as Array<{ metadata: { name: string }; data: { v: string } }>).map((s) => [s.metadata.name, Buffer.from(s.data.v, 'base64').toString()])) };
  };
  const intact = (values: Map<string, string>) => written.filter((s) => values.get(s.name) !== s.value).map((s) => `${s.ns}/${s.name}: ${values.get(s.name)}`);

  /** The raw store of a killed instance: each secret's key (by key_id) and value, decrypted with the test's keys. */
  const atRest = async (): Promise<{ secrets: Map<string, { keyId: string | undefined; value: string | undefined; format: string }>; writerKid: string | undefined }> => {
    const keys = new Map([f.key, v2].map((k) => [kidHash(k.kid), k.privateKey]));
    const store = new SqliteStore(paths.sqlite(emu.dataDir), { readonly: true });
    try {
      const out = new Map<string, { keyId: string | undefined; value: string | undefined; format: string }>();
      for (const s of written) {
        const raw = await rawSecret(store, f.uid, s.ns, s.name);
        const pk = raw.keyId ? keys.get(raw.keyId) : undefined;
        out.set(s.name, { keyId: raw.keyId, format: raw.format, value: pk ? Buffer.from(decryptSecret(raw, `/registry/secrets/${s.ns}/${s.name}`, pk).data.v, 'base64').toString() : undefined });
      }
      const state = await store.get(`/aks/kms/${f.uid}`);
      const writerKid = state ? (JSON.parse(state.value.toString('utf8')).providers[0]?.kid as string | undefined) : undefined;
      return { secrets: out, writerKid };
    } finally {
      await store.close();
    }
  };
  /** Starts the emulator again on the same data directory; the seconds from the kill to its ready line. */
  const restart = async (killedAt: number) => {
    emu = await spawnEmulator({ dataDir: emu.dataDir });
    return secondsSince(killedAt);
  };

  beforeAll(async () => {
    emu = await spawnEmulator();
    f = await kmsFixture(emu, 'faults-rotation', 'kv-faults-rot', 'rotation-aks');
    const { base, token } = await kubeEndpoint(emu, f);
    const post = (path: string, body: unknown) => call(`${base}${path}`, { method: 'POST', body, agent, timeoutMs: 20_000, headers: { authorization: `Bearer ${token}` } });
    for (const ns of NAMESPACES.slice(1)) expect((await post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status).toBe(201);
    for (const ns of NAMESPACES) for (let i = 0; i < PER_NAMESPACE; i++) written.push({ ns, name: `${ns}-s${String(i).padStart(3, '0')}`, value: `${ns}/${i}:${randomBytes(8).toString('hex')}` });
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < written.length) {
          const s = written[next++]!;
          const res = await post(`/api/v1/namespaces/${s.ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: s.name }, data: { v: Buffer.from(s.value).toString('base64') } });
          if (res.status !== 201) throw new Error(`create ${s.ns}/${s.name}: ${res.status} ${res.text}`);
        }
      }),
    );
  }, 90_000);
  afterAll(async () => {
    agent.destroy();
    await emu?.stop();
  });

  it('loses nothing, leaves nothing unreadable, and finishes on the new key version', async () => {
    const before = JSON.parse((await aksemu(['aks', 'encryption', 'status', ...target(), '-o', 'json'])).stdout);
    expect(before).toMatchObject({ total: written.length, plaintext: 0, stale: 0, unreadable: 0 });

    // 1. A new version of the key, and `az aks update --azure-keyvault-kms-key-id <new version>`; SIGKILL as soon as
    //    ARM has acknowledged the update (its operation may or may not have run).
    v2 = await importKey(f.k, f.vaultName, 'etcd-key');
    expect(v2.version).not.toBe(f.key.version);
    const mc = await f.k.aks.managedClusters.get(f.rg, f.cluster);
    await f.k.aks.managedClusters.beginCreateOrUpdate(f.rg, f.cluster, { ...mc, securityProfile: { azureKeyVaultKms: { enabled: true, keyId: v2.kid, keyVaultNetworkAccess: 'Public' } } });
    await emu.kill();
    const firstKillAt = Date.now();
    const afterUpdateKill = await atRest();
    expect(written.filter((s) => afterUpdateKill.secrets.get(s.name)!.value !== s.value)).toEqual([]);
    const firstRestartSeconds = await restart(firstKillAt);
    const resumedAt = Date.now();

    // The update completes by itself after the restart: the new version writes, the old one stays readable.
    const cluster = await waitFor('the rotation to complete after the restart', async () => {
      const raw = await rawCluster(emu.url, emu.env, f.clusterId);
      return raw.properties.provisioningState === 'Succeeded' ? raw : undefined;
    });
    const rotationResumeSeconds = secondsSince(resumedAt);
    expect(cluster.properties.securityProfile.azureKeyVaultKms.keyId).toBe(v2.kid);
    expect(cluster.properties.status.azureKeyVaultKms.providers.map((p: { kid: string; role: string }) => [p.kid, p.role])).toEqual([
      [v2.kid, 'write'],
      [f.key.kid, 'read'],
    ]);
    let h = await kubectlFor(emu, f);
    const listed = await readAll(h);
    expect(intact(listed.values)).toEqual([]);

    // 2. The article's refresh, SIGKILL after kubectl has reported KILL_AFTER_REPLACED secrets replaced.
    const replaced = new Set<string>();
    const replace = spawn('kubectl', ['replace', '-f', '-'], { env: h.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => replace.once('exit', (code) => r(code)));
    let replaceErr = '';
    replace.stderr!.on('data', (d: Buffer) => (replaceErr += d.toString()));
    const enough = new Promise<void>((resolve) => {
      createInterface({ input: replace.stdout! }).on('line', (line) => {
        const m = /^secret\/(\S+) replaced$/.exec(line.trim());
        if (m) replaced.add(m[1]!);
        if (replaced.size >= KILL_AFTER_REPLACED) resolve();
      });
      void exited.then(() => resolve());
    });
    replace.stdin!.end(listed.json);
    await enough;
    await emu.kill();
    const secondKillAt = Date.now();
    const replacedBeforeKill = new Set(replaced);
    const replaceCode = await exited;
    expect(replaceCode, `kubectl replace finished before the kill: ${replaceErr}`).not.toBe(0);
    expect(replacedBeforeKill.size).toBeGreaterThanOrEqual(KILL_AFTER_REPLACED);
    expect(replacedBeforeKill.size).toBeLessThan(written.length);

    // What the kill left at rest: each secret under one of the two versions, intact; each replaced one on the new.
    const rest = (await atRest()).secrets;
    const unreadableAtRest = written.filter((s) => rest.get(s.name)!.value === undefined).map((s) => `${s.name}: ${rest.get(s.name)!.format} ${rest.get(s.name)!.keyId}`);
    const alteredAtRest = written.filter((s) => rest.get(s.name)!.value !== undefined && rest.get(s.name)!.value !== s.value).map((s) => s.name);
    const replacedNotOnNew = [...replacedBeforeKill].filter((n) => rest.get(n)?.keyId !== kidHash(v2.kid));
    const onNew = written.filter((s) => rest.get(s.name)!.keyId === kidHash(v2.kid)).length;
    expect(unreadableAtRest).toEqual([]);
    expect(alteredAtRest).toEqual([]);
    expect(replacedNotOnNew).toEqual([]);

    // 3. Restart: every secret reads back through the API; status counts both versions, nothing unreadable.
    const secondRestartSeconds = await restart(secondKillAt);
    h = await kubectlFor(emu, f);
    expect(intact((await readAll(h)).values)).toEqual([]);
    const mid = JSON.parse((await aksemu(['aks', 'encryption', 'status', ...target(), '-o', 'json'])).stdout);
    expect(mid).toMatchObject({ total: written.length, plaintext: 0, unreadable: 0, stale: written.length - onNew });
    expect(mid.keys.map((x: { keyVersion: string; role: string; secrets: number }) => [x.keyVersion, x.role, x.secrets])).toEqual(
      [
        [f.key.version, 'read', written.length - onNew],
        [v2.version, 'write', onNew],
      ].filter((x) => (x[2] as number) > 0),
    );

    // 4. The rotation completed afterwards: get | replace again, then every secret is under the new key version.
    const finishStarted = Date.now();
    const again = await readAll(h);
    const done = await kubectl(h, ['replace', '-f', '-'], again.json);
    expect(done.code, done.stderr).toBe(0);
    const finishSeconds = secondsSince(finishStarted);
    const after = JSON.parse((await aksemu(['aks', 'encryption', 'status', ...target(), '-o', 'json'])).stdout);
    expect(after).toMatchObject({ total: written.length, plaintext: 0, stale: 0, unreadable: 0 });
    expect(after.keys.map((x: { keyName: string; keyVersion: string; role: string; secrets: number }) => [x.keyName, x.keyVersion, x.role, x.secrets])).toEqual([['etcd-key', v2.version, 'write', written.length]]);
    expect(intact((await readAll(h)).values)).toEqual([]);

    printFigures('rotation-crash', {
      store: 'sqlite',
      secrets: written.length,
      kills: 2,
      rotationAppliedBeforeFirstKill: afterUpdateKill.writerKid === v2.kid,
      secondsKillToReadyAfterUpdate: firstRestartSeconds,
      secondsReadyToRotationSucceeded: rotationResumeSeconds,
      replacedAcknowledgedBeforeKill: replacedBeforeKill.size,
      onNewVersionAtKill: onNew,
      onOldVersionAtKill: written.length - onNew,
      unreadable: unreadableAtRest.length + mid.unreadable,
      lost: alteredAtRest.length + replacedNotOnNew.length,
      secondsKillToReadyMidReplace: secondRestartSeconds,
      secondsToFinishRotation: finishSeconds,
    });
  }, 120_000);
});
