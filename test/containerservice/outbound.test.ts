/** The network profile's computed outbound fields (SPEC C-1, P-4), as AKS shows them. */
import { describe, expect, it } from 'vitest';
import { withOutbound } from '../../src/providers/containerservice/outbound.js';

const nodeRg = '/subscriptions/s/resourceGroups/MC_rg_c_eastus';

describe('effective outbound IPs', () => {
  it('a managed load balancer gets as many public IPs in the node resource group as it asks for, and the defaults', () => {
    const np = withOutbound({ outboundType: 'loadBalancer', loadBalancerProfile: { managedOutboundIPs: { count: 2 } } }, nodeRg, undefined);
    const lb = np.loadBalancerProfile as Record<string, any>;
    expect(lb.effectiveOutboundIPs).toHaveLength(2);
    for (const ip of lb.effectiveOutboundIPs) expect(ip.id).toMatch(/^\/subscriptions\/s\/resourceGroups\/MC_rg_c_eastus\/providers\/Microsoft\.Network\/publicIPAddresses\/[0-9a-f-]{36}$/);
    expect(lb).toMatchObject({ allocatedOutboundPorts: 0, idleTimeoutInMinutes: 30, managedOutboundIPs: { count: 2 } });
  });

  it('keeps the managed IPs across an update while the count stays, adds or drops to a new count, and takes the client\'s settings', () => {
    const first = withOutbound({ loadBalancerProfile: { managedOutboundIPs: { count: 2 } } }, nodeRg, undefined);
    const same = withOutbound({ loadBalancerProfile: { managedOutboundIPs: { count: 2 }, idleTimeoutInMinutes: 10, effectiveOutboundIPs: [{ id: 'sent-by-client' }] } }, nodeRg, first);
    expect((same.loadBalancerProfile as any).effectiveOutboundIPs).toEqual((first.loadBalancerProfile as any).effectiveOutboundIPs);
    expect((same.loadBalancerProfile as any).idleTimeoutInMinutes).toBe(10);
    const more = withOutbound({ loadBalancerProfile: { managedOutboundIPs: { count: 3 } } }, nodeRg, first);
    expect((more.loadBalancerProfile as any).effectiveOutboundIPs.slice(0, 2)).toEqual((first.loadBalancerProfile as any).effectiveOutboundIPs);
    expect((more.loadBalancerProfile as any).effectiveOutboundIPs).toHaveLength(3);
  });

  it('the client\'s own public IPs and prefixes are the effective ones', () => {
    const np = withOutbound({ loadBalancerProfile: { outboundIPs: { publicIPs: [{ id: '/x/ip1' }, { id: '/x/ip2' }] } } }, nodeRg, undefined);
    expect((np.loadBalancerProfile as any).effectiveOutboundIPs).toEqual([{ id: '/x/ip1' }, { id: '/x/ip2' }]);
  });

  it('a managed NAT gateway shows its IPs and idle timeout; user-assigned NAT gateways get nothing computed', () => {
    const np = withOutbound({ outboundType: 'managedNATGateway', natGatewayProfile: { managedOutboundIPProfile: { count: 2 } } }, nodeRg, undefined);
    expect(np.natGatewayProfile).toMatchObject({ idleTimeoutInMinutes: 4, managedOutboundIPProfile: { count: 2 } });
    expect((np.natGatewayProfile as any).effectiveOutboundIPs).toHaveLength(2);
    expect(withOutbound({ outboundType: 'userAssignedNATGateway' }, nodeRg, undefined)).toEqual({ outboundType: 'userAssignedNATGateway' });
  });
});
