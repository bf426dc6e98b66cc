/** The ARM and aksemu API calls the views make, with the api-versions the CLI's own commands send. */
import { get, type Reply, type Session } from './api.js';

const RG_API = '2021-04-01';
const SUB_API = '2022-12-01';
const AKS_API = '2026-04-01';
const KV_API = '2023-07-01';

export interface List<T> {
  value: T[];
}

export interface ManagedCluster {
  id: string;
  name: string;
  location: string;
  properties: {
    kubernetesVersion?: string;
    currentKubernetesVersion?: string;
    provisioningState?: string;
    fqdn?: string;
    securityProfile?: { azureKeyVaultKms?: { enabled?: boolean; keyId?: string; keyVaultNetworkAccess?: string; keyVaultResourceId?: string } };
  };
}

export interface AgentPool {
  id: string;
  name: string;
  properties: {
    mode?: string;
    count?: number;
    vmSize?: string;
    osType?: string;
    osSKU?: string;
    enableFIPS?: boolean;
    orchestratorVersion?: string;
    currentOrchestratorVersion?: string;
    nodeImageVersion?: string;
    securityProfile?: { enableSecureBoot?: boolean; enableVTPM?: boolean };
    provisioningState?: string;
  };
}

export interface NodeSummary {
  name: string;
  pool: string;
  state: string;
  ready: boolean;
  fipsEnabled: boolean;
  nodeImageVersion: string;
  kubernetesVersion: string;
  facts?: { secureBoot?: 'enabled' | 'disabled' | 'unsupported'; vtpm?: boolean; osImage?: string; kernel?: string; bootedAt?: string };
  cluster: { id: string; name: string; resourceGroup: string };
}

export const subscriptions = (s: Session) => get<List<{ subscriptionId: string; displayName: string }>>(s, `/subscriptions?api-version=${SUB_API}`);
export const resourceGroups = (s: Session, sub: string) => get<List<{ id: string; name: string; location: string }>>(s, `/subscriptions/${sub}/resourcegroups?api-version=${RG_API}`);
const groupPath = (sub: string, rg: string) => `/subscriptions/${sub}/resourceGroups/${encodeURIComponent(rg)}`;
export const clusters = (s: Session, sub: string, rg: string) => get<List<ManagedCluster>>(s, `${groupPath(sub, rg)}/providers/Microsoft.ContainerService/managedClusters?api-version=${AKS_API}`);
export const agentPools = (s: Session, clusterId: string) => get<List<AgentPool>>(s, `${clusterId}/agentPools?api-version=${AKS_API}`);
export const vaults = (s: Session, sub: string, rg: string) => get<List<{ id: string; name: string }>>(s, `${groupPath(sub, rg)}/providers/Microsoft.KeyVault/vaults?api-version=${KV_API}`);

/**
 * Resources of one kind in every resource group the principal can read, walked subscription by subscription (what
 * the KMS page's cluster picker and the audit page's vault choice list). A group that cannot be listed adds nothing.
 */
export async function inEveryGroup<T>(s: Session, list: (s: Session, sub: string, rg: string) => Promise<Reply<List<T>>>): Promise<Reply<Array<{ rg: string; item: T }>>> {
  const out: Array<{ rg: string; item: T }> = [];
  const subs = await subscriptions(s);
  for (const sub of subs.ok ? subs.body.value : []) {
    const groups = await resourceGroups(s, sub.subscriptionId);
    for (const g of groups.ok ? groups.body.value : []) {
      const found = await list(s, sub.subscriptionId, g.name);
      for (const item of found.ok ? found.body.value : []) out.push({ rg: g.name, item });
    }
  }
  return { ok: true, status: 200, body: out };
}

const clusterQuery = (rg: string, cluster: string) => `cluster=${encodeURIComponent(cluster)}&resourceGroup=${encodeURIComponent(rg)}`;
export const nodes = (s: Session, rg: string, cluster: string) => get<List<NodeSummary>>(s, `/_aksemu/nodes?${clusterQuery(rg, cluster)}`);
export const node = (s: Session, rg: string, cluster: string, name: string) => get<NodeSummary & Record<string, unknown>>(s, `/_aksemu/nodes/${encodeURIComponent(name)}?${clusterQuery(rg, cluster)}`);
export const bootLog = (s: Session, rg: string, cluster: string, name: string) => get<BootLog>(s, `/_aksemu/nodes/${encodeURIComponent(name)}/boot-log?${clusterQuery(rg, cluster)}`);
export const encryption = (s: Session, rg: string, cluster: string) => get<EncryptionStatus>(s, `/_aksemu/aks/encryption?resourceGroup=${encodeURIComponent(rg)}&name=${encodeURIComponent(cluster)}`);
export const audit = (s: Session, vault: string, q: { top?: number; since?: string }) =>
  get<List<AuditEvent>>(s, `/_aksemu/keyvault/vaults/${encodeURIComponent(vault)}/audit?${new URLSearchParams({ ...(q.top ? { top: String(q.top) } : {}), ...(q.since ? { since: q.since } : {}) }).toString()}`);
export const alerts = (s: Session) => get<List<Alert>>(s, '/_aksemu/alerts');
export const clock = (s: Session) => get<{ now: string }>(s, '/_aksemu/clock');

export interface Check {
  check: string;
  ok: boolean;
  detail: string;
}

export interface BootLog {
  node: string;
  state: string;
  vmId: string;
  boot: {
    seq: number;
    at: string;
    image: string;
    secureBoot: boolean;
    vtpm: boolean;
    steps: Array<{ stage: string; label: string; verification: string; signer?: string; trustedBy?: string; detail?: string }>;
    halted?: { label: string; detail: string; reason: string };
    modules: Array<{ label: string; loaded: boolean; failure?: { detail: string } }>;
    serial: string[];
  };
  tampers?: Array<{ component: string; mode: string; at: string }>;
  pcrs?: Record<string, string>;
  events: Array<{ pcr: number; type: string; digest: string; description: string }>;
  attestation?: { at: string; healthy: boolean; checks?: Check[]; findings: Array<{ kind: string; components: string[]; reasons: string[] }>; alerts: string[] };
}

export interface EncryptionStatus {
  cluster: string;
  writer: string;
  total: number;
  plaintext: number;
  stale: number;
  unreadable: number;
  keys: Array<{ provider: string; api: string; role: string; secrets: number; keyVault?: string; keyName?: string; keyVersion?: string }>;
  unreadableSecrets: string[];
  migration: null | { state: string; processed: number; total: number; rewritten: number; failed: number; error?: string };
}

export interface AuditEvent {
  time: string;
  operationName: string;
  resultType: 'Success' | 'Failure';
  resultSignature: string;
  httpStatusCode: number;
  callerIpAddress: string;
  identity: { claim: { oid: string; appid: string } };
  keyName?: string;
  keyVersion?: string;
}

export interface Alert {
  name: string;
  properties: { timeGeneratedUtc: string; severity: string; alertDisplayName: string; compromisedEntity: string; description?: string; extendedProperties: Record<string, string> };
}
