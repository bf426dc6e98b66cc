/**
 * The instance the dashboard's tests look at: a resource group with a vault, a key, the identity that may use it,
 * and one cluster with KMS etcd encryption on that key, a FIPS system pool, a Trusted Launch user pool (Secure
 * Boot and vTPM) and a vTPM-only pool, built through ARM and Key Vault like the KMS tests build theirs.
 */
import { startTestEmulator, useEnvironment } from '../../testkit/emulator.js';
import { getToken, httpsCall, type TestResponse } from '../../testkit/http.js';
import { identity, importKey, kit, kmsCluster, resourceGroup, setPolicy, vault, type TestKey } from '../kms/fixtures.js';

export type Emu = Awaited<ReturnType<typeof startTestEmulator>>;

export interface Posture {
  emu: Emu;
  rg: string;
  cluster: string;
  clusterId: string;
  vaultName: string;
  key: TestKey;
  /** An owner's ARM token (the instance's default principal): what the test compares the page with. */
  owner: string;
  arm(path: string, token?: string, method?: string, body?: unknown): Promise<TestResponse>;
}

export async function postureInstance(rg: string): Promise<Posture> {
  const emu = await startTestEmulator({ now: new Date('2026-06-01T00:00:00Z') });
  // The Azure SDK clients reach the instance through its proxy and CA, as the environment says.
  useEnvironment(emu.env);
  const k = kit(emu.env);
  await resourceGroup(k, rg);
  const vaultName = `kv-${rg}`.slice(0, 24);
  await vault(k, rg, vaultName);
  const id = await identity(k, rg, `${rg}-id`);
  await setPolicy(k, rg, vaultName, id.principalId);
  const key = await importKey(k, vaultName, 'etcd-key');
  const owner = await getToken(emu.url, emu.env);
  const arm = (path: string, token = owner, method = 'GET', body?: unknown) =>
    httpsCall(`${emu.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const cluster = 'secure-aks';
  const body = kmsCluster({ identityId: id.id, kid: key.kid });
  body.agentPoolProfiles = [
    { name: 'system', count: 1, vmSize: 'Standard_DS2_v2', osType: 'Linux', mode: 'System', type: 'VirtualMachineScaleSets', enableFips: true },
    { name: 'tl', count: 1, vmSize: 'Standard_DS2_v2', osType: 'Linux', mode: 'User', type: 'VirtualMachineScaleSets', securityProfile: { enableSecureBoot: true, enableVtpm: true } },
    // vTPM without Secure Boot: its attestation finds Secure Boot off, and Defender-style alerts say so.
    { name: 'vtpm', count: 1, vmSize: 'Standard_DS2_v2', osType: 'Linux', mode: 'User', type: 'VirtualMachineScaleSets', securityProfile: { enableSecureBoot: false, enableVtpm: true } },
  ];
  const mc = await k.aks.managedClusters.beginCreateOrUpdateAndWait(rg, cluster, body);
  return { emu, rg, cluster, clusterId: mc.id!, vaultName, key, owner, arm };
}
