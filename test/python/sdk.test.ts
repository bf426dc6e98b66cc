/**
 * Acceptance: the official Azure SDKs for Python (test/python/requirements.txt: azure-identity,
 * azure-mgmt-containerservice, azure-keyvault-keys, azure-mgmt-keyvault, azure-mgmt-msi, azure-mgmt-resource) run
 * the KMS, Trusted Launch and FIPS flows of test/python against a spawned aksemu with nothing but its `aksemu env`
 * settings: DefaultAzureCredential signs in as the instance's service principal (AZURE_CLIENT_ID/SECRET), or, with
 * `aksemu env --identity`, as a user-assigned managed identity (IDENTITY_ENDPOINT/HEADER); requests reaches aksemu
 * through HTTPS_PROXY and trusts its CA through REQUESTS_CA_BUNDLE (SPEC P-1, X-2). Each script checks
 * every result it reads and prints one `ok <step> <facts>` line per step; this test checks the steps all ran and
 * reads the end state back over ARM itself, so a script that stopped short or checked nothing cannot pass.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLI, removeDataDir, spawnEmulator, type SpawnedEmulator } from '../../testkit/emulator.js';
import { getToken, httpsCall } from '../../testkit/http.js';
import { describeWithPythonSdks } from '../../testkit/optional.js';
import { runPythonScript } from '../../testkit/python-sdk.js';

/** The `ok <step> {facts}` lines of a script's output, in order. */
function steps(stdout: string): Array<{ step: string; facts: Record<string, unknown> }> {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('ok '))
    .map((line) => {
      const [, step, ...rest] = line.split(' ');
      return { step: step!, facts: JSON.parse(rest.join(' ')) };
    });
}

/** The variables `aksemu env --identity <name>` exports, and the ones it unsets. */
async function identityEnvironment(dataDir: string, identity: string): Promise<{ set: Record<string, string>; unset: string[] }> {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'env', '--data-dir', dataDir, '--identity', identity]);
  const set: Record<string, string> = {};
  const unset: string[] = [];
  for (const line of stdout.trim().split('\n')) {
    const exported = /^export (\w+)=(.*)$/.exec(line);
    if (exported) set[exported[1]!] = exported[2]!.replace(/^'(.*)'$/, '$1');
    const removed = /^unset (\w+)$/.exec(line);
    if (removed) unset.push(removed[1]!);
  }
  return { set, unset };
}

/**
 * A flow creates clusters (the first in an instance takes the longest) and polls each operation once a second, as
 * azure-core does on `Retry-After: 1`; on a loaded 2-core machine that is well over vitest's default minute.
 */
const FLOW_TIMEOUT_MS = 180_000;

describeWithPythonSdks('Azure SDKs for Python against aksemu', () => {
  let emu: SpawnedEmulator;
  /** What the KMS flow made: the identity's resource id and the key version the cluster was rotated to. */
  let made: { identityId: string; kid: string } | undefined;
  const arm = async (path: string, apiVersion: string, status = 200) => {
    const token = await getToken(emu.url, emu.env);
    const res = await httpsCall(`${emu.url}${path}?api-version=${apiVersion}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status, res.text).toBe(status);
    return res.json();
  };

  beforeAll(async () => {
    emu = await spawnEmulator();
  });
  afterAll(async () => {
    await emu?.stop();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('KMS: key made with azure-keyvault-keys, an unversioned key id refused, cluster created, read back, key rotated, KMS disabled, cluster deleted, a failed private-link operation', async () => {
    const run = await runPythonScript('kms_flow.py', ['py-kms', 'pykms'], emu.env);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const done = steps(run.stdout);
    expect(done.map((s) => s.step)).toEqual(['identity', 'vault', 'key', 'refused', 'create', 'show', 'rotate', 'disable', 'delete', 'failed-operation']);
    const byStep = Object.fromEntries(done.map((s) => [s.step, s.facts]));
    const kid = /^https:\/\/pykms-kv\.vault\.azure\.net\/keys\/pykms-etcd\/([0-9a-f]{32})$/;
    const first = kid.exec(byStep.key!.kid as string);
    const rotated = kid.exec(byStep.rotate!.kid as string);
    expect(first && rotated && first[1] !== rotated[1]).toBe(true);
    expect(byStep.create!.kid).toBe(byStep.key!.kid);
    expect(byStep.refused!.code).toBe('InvalidParameter');
    made = { identityId: byStep.identity!.id as string, kid: byStep.rotate!.kid as string };

    // The end state as ARM and the vault hold it: the cluster deleted, both key versions in the vault.
    const sub = emu.env.AZURE_SUBSCRIPTION_ID!;
    const cluster = await arm(`/subscriptions/${sub}/resourceGroups/py-kms/providers/Microsoft.ContainerService/managedClusters/pykms-aks`, '2026-09-01', 404);
    expect(cluster.error.code).toBe('ResourceNotFound');
    const listed = await arm(`/subscriptions/${sub}/resourceGroups/py-kms/providers/Microsoft.ContainerService/managedClusters`, '2026-09-01');
    expect(listed.value).toEqual([]);
    const identity = await arm(byStep.identity!.id as string, '2023-01-31');
    expect(identity.name).toBe('pykms-id');
    const vaultToken = await getToken(emu.url, emu.env, 'https://vault.azure.net/.default');
    const versions = await httpsCall(`${emu.url}/_vault/pykms-kv/keys/pykms-etcd/versions?api-version=7.4`, { headers: { authorization: `Bearer ${vaultToken}` } });
    expect(versions.status, versions.text).toBe(200);
    expect(versions.json().value.map((v: { kid: string }) => v.kid).sort()).toEqual([byStep.key!.kid, byStep.rotate!.kid].sort());
  }, FLOW_TIMEOUT_MS);

  it("as the KMS identity through the managed identity endpoint (aksemu env --identity): encrypt and decrypt with the key, nothing more", async () => {
    expect(made, 'the KMS flow ran first').toBeDefined();
    const { set, unset } = await identityEnvironment(emu.dataDir, 'pykms-id');
    expect(unset).toEqual(['AZURE_CLIENT_SECRET']);
    expect(Object.keys(set)).toEqual(expect.arrayContaining(['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'AZURE_CLIENT_ID']));
    const env: Record<string, string> = { ...emu.env, ...set };
    for (const name of unset) delete env[name];
    const run = await runPythonScript('identity_flow.py', [made!.kid], env);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const done = steps(run.stdout);
    expect(done.map((s) => s.step)).toEqual(['token', 'encrypt-decrypt', 'refused']);
    const identity = await arm(made!.identityId, '2023-01-31');
    expect(done[0]!.facts.appid).toBe(identity.properties.clientId);
  }, FLOW_TIMEOUT_MS);

  it('Trusted Launch and FIPS: a Secure Boot + vTPM pool, Secure Boot turned off on it, a bad pool name refused, a FIPS pool, FIPS turned off', async () => {
    const run = await runPythonScript('trusted_launch_flow.py', ['py-tl', 'pytl'], emu.env);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const done = steps(run.stdout);
    expect(done.map((s) => s.step)).toEqual(['create', 'secure-boot-off', 'refused', 'fips', 'fips-off']);
    expect(done[0]!.facts.nodeImageVersion).toMatch(/gen2TLcontainerd/);
    expect(done[3]!.facts.nodeImageVersion).toMatch(/fipscontainerd/);
    expect(done[4]!.facts.nodeImageVersion).not.toMatch(/fips/);

    const sub = emu.env.AZURE_SUBSCRIPTION_ID!;
    const pools = await arm(`/subscriptions/${sub}/resourceGroups/py-tl/providers/Microsoft.ContainerService/managedClusters/pytl-aks/agentPools`, '2026-09-01');
    const view = Object.fromEntries(
      pools.value.map((p: { name: string; properties: { enableFIPS: boolean; securityProfile?: { enableSecureBoot?: boolean; enableVTPM?: boolean } } }) => [
        p.name,
        { fips: p.properties.enableFIPS, secureBoot: p.properties.securityProfile?.enableSecureBoot ?? false, vtpm: p.properties.securityProfile?.enableVTPM ?? false },
      ]),
    );
    expect(view).toEqual({ nodepool1: { fips: false, secureBoot: false, vtpm: true }, fipspool: { fips: false, secureBoot: false, vtpm: false } });
  }, FLOW_TIMEOUT_MS);
});
