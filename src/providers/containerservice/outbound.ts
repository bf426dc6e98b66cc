/**
 * What AKS computes for a cluster's outbound connectivity and shows in its network profile (SPEC C-1, P-4): the
 * load balancer's (or managed NAT gateway's) effective outbound IPs — the public IPs it made in the node resource
 * group for `managedOutboundIPs`, or the client's own IPs and prefixes — and the defaults of the ports and idle
 * timeout. The managed IPs keep their ids from one update to the next while their count stays.
 */
import { newGuid } from '../../util/ids.js';

type Json = Record<string, unknown>;

const asJson = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);

function ids(list: unknown): Array<{ id: string }> {
  return Array.isArray(list) ? list.filter((x) => typeof asJson(x)?.id === 'string').map((x) => ({ id: (x as { id: string }).id })) : [];
}

/** `count` managed public IPs in the node resource group: the previous ones first, new ones as needed. */
function managedIps(count: number, nodeResourceGroupId: string, previous: Array<{ id: string }>): Array<{ id: string }> {
  const mine = previous.filter((p) => p.id.toLowerCase().startsWith(`${nodeResourceGroupId.toLowerCase()}/`));
  const out = mine.slice(0, count);
  while (out.length < count) out.push({ id: `${nodeResourceGroupId}/providers/Microsoft.Network/publicIPAddresses/${newGuid()}` });
  return out;
}

function count(v: unknown, dflt: number): number {
  const n = asJson(v)?.count;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : dflt;
}

/** The network profile with its computed outbound fields (a client's values for them are not taken). */
export function withOutbound(profile: Json, nodeResourceGroupId: string, previous: Json | undefined): Json {
  const out: Json = { ...profile };
  const outboundType = String(out.outboundType ?? 'loadBalancer');
  const lb = asJson(out.loadBalancerProfile);
  if (outboundType === 'loadBalancer' && lb) {
    const before = ids(asJson(asJson(previous)?.loadBalancerProfile)?.effectiveOutboundIPs);
    const own = [...ids(asJson(lb.outboundIPs)?.publicIPs), ...ids(asJson(lb.outboundIPPrefixes)?.publicIPPrefixes)];
    // A dual-stack cluster's load balancer gets one managed IPv6 address unless told otherwise.
    const dualStack = Array.isArray(out.ipFamilies) && out.ipFamilies.includes('IPv6');
    const managed = asJson(lb.managedOutboundIPs);
    const managedOutboundIPs = managed && dualStack && managed.countIPv6 === undefined ? { ...managed, countIPv6: 1 } : managed;
    const managedCount = count(managedOutboundIPs, 1) + (dualStack ? Number(managedOutboundIPs?.countIPv6 ?? 1) : 0);
    out.loadBalancerProfile = {
      ...lb,
      ...(managedOutboundIPs ? { managedOutboundIPs } : {}),
      effectiveOutboundIPs: own.length > 0 ? own : managedIps(managedCount, nodeResourceGroupId, before),
      allocatedOutboundPorts: lb.allocatedOutboundPorts ?? 0,
      idleTimeoutInMinutes: lb.idleTimeoutInMinutes ?? 30,
    };
  }
  const nat = asJson(out.natGatewayProfile);
  if (outboundType === 'managedNATGateway') {
    const before = ids(asJson(asJson(previous)?.natGatewayProfile)?.effectiveOutboundIPs);
    const managed = asJson(nat?.managedOutboundIPProfile) ?? { count: 1 };
    out.natGatewayProfile = {
      ...(nat ?? {}),
      managedOutboundIPProfile: managed,
      effectiveOutboundIPs: managedIps(count(managed, 1), nodeResourceGroupId, before),
      idleTimeoutInMinutes: nat?.idleTimeoutInMinutes ?? 4,
    };
  }
  return out;
}
