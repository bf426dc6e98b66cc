/**
 * The KMS fault tests' set-up on a spawned `aksemu start` (so it can be killed with SIGKILL): the KMS article's
 * resource group, access-policy vault, user-assigned identity with encrypt/decrypt, a key whose private half the
 * test keeps, and a cluster with KMS v2 on that key; then the cluster's API as kubectl and raw HTTP reach it, and
 * the raw store of a killed instance.
 */
import { parse } from 'yaml';
import type { SpawnedEmulator } from '../../testkit/emulator.js';
import { useEnvironment } from '../../testkit/emulator.js';
import { getToken, httpsCall } from '../../testkit/http.js';
import { kubectlHome, type KubectlHome } from '../../testkit/kube/kube-env.js';
import { identity, importKey, kit, kmsCluster, rawCluster, resourceGroup, setPolicy, vault, type Kit, type TestKey } from '../kms/fixtures.js';

export interface KmsFixture {
  k: Kit;
  rg: string;
  cluster: string;
  vaultName: string;
  clusterId: string;
  uid: string;
  fqdn: string;
  key: TestKey;
}

/** A KMS v2 cluster on a fresh key `etcd-key` in vault `vaultName` (SPEC K-1, K-4, K-5). */
export async function kmsFixture(emu: SpawnedEmulator, rg: string, vaultName: string, cluster: string): Promise<KmsFixture> {
  useEnvironment(emu.env);
  const k = kit(emu.env);
  await resourceGroup(k, rg);
  await vault(k, rg, vaultName);
  const id = await identity(k, rg, `${cluster}-id`);
  await setPolicy(k, rg, vaultName, id.principalId);
  const key = await importKey(k, vaultName, 'etcd-key');
  const mc = await k.aks.managedClusters.beginCreateOrUpdateAndWait(rg, cluster, kmsCluster({ identityId: id.id, kid: key.kid }));
  const raw = await rawCluster(emu.url, emu.env, mc.id!);
  return { k, rg, cluster, vaultName, clusterId: mc.id!, uid: raw.properties.resourceUID, fqdn: raw.properties.fqdn, key };
}

/** The cluster's API for raw HTTPS from the user credential (its address changes with each start's port). */
export async function kubeEndpoint(emu: SpawnedEmulator, f: KmsFixture): Promise<{ base: string; token: string }> {
  const token = await getToken(emu.url, emu.env);
  const cred = await httpsCall(`${emu.url}${f.clusterId}/listClusterUserCredential?api-version=2026-04-01`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  if (cred.status !== 200) throw new Error(`listClusterUserCredential: ${cred.status} ${cred.text}`);
  const cfg = parse(Buffer.from(cred.json().kubeconfigs[0].value, 'base64').toString('utf8'));
  return { base: `${cfg.clusters[0].cluster.server}/_k8s/${cfg.clusters[0].cluster['tls-server-name']}`, token: cfg.users[0].user.token };
}

/** A clean HOME whose ~/.kube/config is the cluster's user credential from this start of the emulator. */
export function kubectlFor(emu: SpawnedEmulator, f: KmsFixture): Promise<KubectlHome> {
  return kubectlHome(emu as never, { uid: f.uid, armId: f.clusterId, fqdn: f.fqdn, name: f.cluster, resourceGroup: f.rg, nodeNames: [] } as never);
}
