/**
 * Reading a managed cluster PUT body: the shape checks, AKS's defaults for what a request leaves out (DNS prefix,
 * network profile, pool modes) and the properties a client may not set (computed ones, secrets never echoed).
 */
import { ArmError, armErrors } from '../../arm/errors.js';

/** Cluster properties computed by the service: a request's values for them are ignored. */
export const CLUSTER_READ_ONLY = [
  'provisioningState', 'powerState', 'currentKubernetesVersion', 'fqdn', 'azurePortalFQDN', 'privateFQDN', 'maxAgentPools',
  'identityProfile', 'resourceUID', 'agentPoolProfiles', 'nodeResourceGroup',
];

export function asObject(v: unknown, what: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw armErrors.invalidContent(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

export function defaultDnsPrefix(name: string, rg: string, sub: string): string {
  const clean = (s: string) => s.replace(/[^a-zA-Z0-9-]/g, '');
  const p = `${clean(name).slice(0, 10)}-${clean(rg).slice(0, 16)}-${sub.slice(0, 6)}`.replace(/^-+|-+$/g, '').replace(/--+/g, '-');
  return /^[a-zA-Z0-9]/.test(p) ? p : `a${p}`;
}

export function sanitizeClusterProperties(p: Record<string, unknown>): Record<string, unknown> {
  const out = { ...p };
  for (const k of CLUSTER_READ_ONLY) delete out[k];
  if (out.windowsProfile && typeof out.windowsProfile === 'object') {
    const { adminPassword: _pw, ...rest } = out.windowsProfile as Record<string, unknown>;
    out.windowsProfile = rest;
  }
  if (out.servicePrincipalProfile && typeof out.servicePrincipalProfile === 'object') {
    const { secret: _s, ...rest } = out.servicePrincipalProfile as Record<string, unknown>;
    out.servicePrincipalProfile = rest;
  }
  return out;
}

export function networkProfile(p: Record<string, unknown> | undefined): Record<string, unknown> {
  const n = { ...(p ?? {}) };
  const plugin = (n.networkPlugin as string | undefined) ?? 'kubenet';
  const out: Record<string, unknown> = {
    networkPlugin: plugin,
    loadBalancerSku: (n.loadBalancerSku as string | undefined)?.toLowerCase() ?? 'standard',
    serviceCidr: n.serviceCidr ?? '10.0.0.0/16',
    dnsServiceIP: n.dnsServiceIP ?? '10.0.0.10',
    outboundType: n.outboundType ?? 'loadBalancer',
    loadBalancerProfile: n.loadBalancerProfile ?? { managedOutboundIPs: { count: 1 } },
    ipFamilies: ['IPv4'],
    ...n,
  };
  if (plugin === 'kubenet' || n.networkPluginMode === 'overlay') {
    out.podCidr = n.podCidr ?? '10.244.0.0/16';
    out.podCidrs = [out.podCidr];
  }
  out.serviceCidrs = [out.serviceCidr];
  return out;
}

/** Default modes: when no profile names one, the first pool is System and the rest User. */
export function defaultModes(profiles: Array<Record<string, unknown>>): Array<'System' | 'User'> {
  const anyMode = profiles.some((p) => typeof p.mode === 'string' && p.mode !== '');
  return profiles.map((_, i) => (!anyMode && i === 0 ? 'System' : 'User'));
}

export function readProfiles(props: Record<string, unknown>): Array<Record<string, unknown>> {
  const list = props.agentPoolProfiles;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw armErrors.invalidContent('properties.agentPoolProfiles must be an array');
  return list.map((p, i) => {
    if (!p || typeof p !== 'object' || typeof (p as Record<string, unknown>).name !== 'string') {
      throw new ArmError(400, 'InvalidParameter', `agentPoolProfiles[${i}] needs a name.`, `properties.agentPoolProfiles[${i}].name`);
    }
    return p as Record<string, unknown>;
  });
}
