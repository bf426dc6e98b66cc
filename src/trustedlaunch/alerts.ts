/**
 * Defender for Cloud style integrity alerts (SPEC T-6), stored per subscription under `/defender/<sub>/alerts/<name>`
 * in the shape of Microsoft.Security alerts (api-version 2022-01-01):
 *
 *   "VM attestation failure"        Medium  the boot deviates from the image's trusted baseline, the quote is not
 *                                           from this VM's vTPM, or Secure Boot is off
 *   "Untrusted Linux kernel module" Low     the node booted, but a kernel module failed validation and was blocked
 *
 * Both name the components that failed. An alert's name is derived from the node, the boot and the kind, so the
 * same finding about the same boot is one alert however often it is attested.
 */
import { createHash } from 'node:crypto';
import { listJson } from '../store/json.js';
import type { Store } from '../store/store.js';

export type AlertKind = 'attestation-failure' | 'untrusted-kernel-module';

export const ALERT_TYPES: Record<AlertKind, { alertType: string; displayName: string; severity: 'Medium' | 'Low'; intent: string }> = {
  'attestation-failure': { alertType: 'VM_AttestationFailure', displayName: 'VM attestation failure', severity: 'Medium', intent: 'PreAttack' },
  'untrusted-kernel-module': { alertType: 'VM_UntrustedLinuxKernelModule', displayName: 'Untrusted Linux kernel module', severity: 'Low', intent: 'DefenseEvasion' },
};

export interface AlertSubject {
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  cluster: string;
  clusterId: string;
  pool: string;
  node: string;
  /** The VMSS instance's resource id. */
  vmResourceId: string;
  /** Identifies the boot the finding is about. */
  bootKey: string;
}

export interface Alert {
  id: string;
  name: string;
  type: 'Microsoft.Security/Locations/alerts';
  properties: {
    status: 'Active';
    alertType: string;
    alertDisplayName: string;
    severity: 'Medium' | 'Low';
    description: string;
    intent: string;
    compromisedEntity: string;
    remediationSteps: string[];
    vendorName: 'Microsoft';
    productName: 'Microsoft Defender for Cloud';
    productComponentName: 'Servers';
    startTimeUtc: string;
    endTimeUtc: string;
    timeGeneratedUtc: string;
    resourceIdentifiers: Array<{ type: 'AzureResource'; azureResourceId: string }>;
    entities: Array<Record<string, unknown>>;
    extendedProperties: Record<string, string>;
    isIncident: false;
  };
}

export const alertsPrefix = (sub: string) => `/defender/${sub.toLowerCase()}/alerts/`;

export interface Finding {
  kind: AlertKind;
  /** The failed components, in words ("boot loader (\EFI\ubuntu\grubx64.efi)"). */
  components: string[];
  /** Why, one line per reason. */
  reasons: string[];
}

/** The command that lays the node image down again on the node (SPEC T-7: modified OS disks are rebuilt). */
export function reimageCommand(s: Pick<AlertSubject, 'clusterId' | 'cluster' | 'pool'>): string {
  return `az aks nodepool upgrade --resource-group ${s.clusterId.split('/')[4]} --cluster-name ${s.cluster} --name ${s.pool} --node-image-only`;
}

function describe(kind: AlertKind, s: AlertSubject, f: Finding): { description: string; remediation: string[] } {
  const list = f.components.join('; ');
  if (kind === 'attestation-failure') {
    return {
      description: `Attestation of node ${s.node} (node pool ${s.pool}, cluster ${s.cluster}) failed: the boot's integrity could not be verified against the trusted baseline of its node image. Components that failed: ${list || 'none reported'}. ${f.reasons.join(' ')} An unverified boot can mean that untrusted components were loaded and the operating system could be compromised.`,
      remediation: [
        `Investigate the boot of ${s.node}: aksemu node boot-log ${s.node} and aksemu node attest ${s.node}.`,
        'Enable Secure Boot on the node pool (az aks nodepool update --enable-secure-boot) so that untrusted boot components cannot run.',
        `Reimage the node to restore the node image's signed boot components: ${reimageCommand(s)} (it rebuilds every node whose OS disk is not the image's, also on the newest image).`,
      ],
    };
  }
  return {
    description: `Node ${s.node} (node pool ${s.pool}, cluster ${s.cluster}) booted, but kernel modules failed signature validation and were blocked by Secure Boot: ${list}. ${f.reasons.join(' ')} An untrusted kernel module can be a rootkit; a legitimate driver that is not signed by a trusted key cannot be loaded while Secure Boot is on.`,
    remediation: [
      `See which modules were rejected: aksemu node boot-log ${s.node}.`,
      'Remove the untrusted module, or use a driver signed by a trusted publisher (for GPU drivers: keep gpuProfile.driver None and install a signed driver).',
      `If a module of the node image itself was modified, reimage the node: ${reimageCommand(s)}.`,
    ],
  };
}

export function buildAlert(s: AlertSubject, f: Finding, nowIso: string): Alert {
  const t = ALERT_TYPES[f.kind];
  const digest = createHash('sha256').update(`${s.clusterId.toLowerCase()}|${s.node}|${s.bootKey}|${f.kind}|${f.components.join('|')}`).digest('hex');
  const name = `2516${digest.slice(0, 15)}_${digest.slice(16, 24)}-${digest.slice(24, 28)}-${digest.slice(28, 32)}-${digest.slice(32, 36)}-${digest.slice(36, 48)}`;
  const { description, remediation } = describe(f.kind, s, f);
  return {
    id: `/subscriptions/${s.subscriptionId}/resourceGroups/${s.resourceGroup}/providers/Microsoft.Security/locations/${s.location}/alerts/${name}`,
    name,
    type: 'Microsoft.Security/Locations/alerts',
    properties: {
      status: 'Active',
      alertType: t.alertType,
      alertDisplayName: t.displayName,
      severity: t.severity,
      description,
      intent: t.intent,
      compromisedEntity: s.node,
      remediationSteps: remediation,
      vendorName: 'Microsoft',
      productName: 'Microsoft Defender for Cloud',
      productComponentName: 'Servers',
      startTimeUtc: nowIso,
      endTimeUtc: nowIso,
      timeGeneratedUtc: nowIso,
      resourceIdentifiers: [{ type: 'AzureResource', azureResourceId: s.vmResourceId }],
      entities: [{ $id: '1', type: 'host', hostName: s.node, azureID: s.vmResourceId }],
      extendedProperties: {
        'Failed components': f.components.join('; '),
        Reasons: f.reasons.join(' '),
        'Managed cluster': s.clusterId,
        'Node pool': s.pool,
        Node: s.node,
        'resourceType': 'Virtual Machine Scale Set instance',
      },
      isIncident: false,
    },
  };
}

/** Stores an alert unless the same one exists; returns it (and whether it is new). */
export async function raiseAlert(store: Store, alert: Alert): Promise<{ alert: Alert; created: boolean }> {
  const sub = alert.id.split('/')[2]!;
  const key = `${alertsPrefix(sub)}${alert.name}`;
  const res = await store.txn({ if: [{ key, modRevision: 0 }], then: [{ type: 'put', key, value: Buffer.from(JSON.stringify(alert)) }] });
  if (res.succeeded) return { alert, created: true };
  const kv = await store.get(key);
  return { alert: kv ? (JSON.parse(kv.value.toString('utf8')) as Alert) : alert, created: false };
}

export async function listAlerts(store: Store, subscriptionId?: string): Promise<Alert[]> {
  const docs = await listJson<Alert>(store, subscriptionId ? alertsPrefix(subscriptionId) : '/defender/');
  return docs.map((d) => d.value).sort((a, b) => a.properties.timeGeneratedUtc.localeCompare(b.properties.timeGeneratedUtc) || a.name.localeCompare(b.name));
}
