/**
 * Services' addresses and strategy as pure functions (SPEC W-27): cluster IPs from the service CIDR (asked-for ones
 * checked, missing ones picked among the free), node ports from 30000-32767 shared by a port's TCP and UDP, the
 * IPv4 single-stack refusals, the system Services' addresses, and the values an update leaves out kept.
 */
import { describe, expect, it } from 'vitest';
import type { Service } from '../../src/kube/api/machinery/types.js';
import { allocateServiceAddresses, kubernetesServiceIp } from '../../src/kube/resources/service-addresses.js';
import { services } from '../../src/kube/resources/services.js';
import { systemServices } from '../../src/kube/controllers/system-services.js';

const CIDR = '10.0.0.0/16';
const svc = (name: string, spec: NonNullable<Service['spec']>, uid = name): Service => ({ metadata: { name, namespace: 'default', uid }, spec });
const taken = (ip: string, uid = `other-${ip}`): Service => svc(uid, { type: 'ClusterIP', clusterIP: ip, ports: [{ port: 80, protocol: 'TCP' }] }, uid);

describe('cluster IPs', () => {
  it('picks a free address inside the CIDR, never the network or broadcast address, and records the family', () => {
    for (const r of [0, 0.5, 0.999999]) {
      const s = svc('web', { type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP' }] });
      expect(allocateServiceAddresses(s, [], CIDR, () => r)).toEqual([]);
      const [a, b, c, d] = s.spec!.clusterIP!.split('.').map(Number);
      expect([a, b]).toEqual([10, 0]);
      expect(c! * 256 + d!).toBeGreaterThan(0);
      expect(c! * 256 + d!).toBeLessThan(65535);
      expect(s.spec!.clusterIPs).toEqual([s.spec!.clusterIP]);
      expect(s.spec!.ipFamilies).toEqual(['IPv4']);
      expect(s.spec!.ipFamilyPolicy).toBe('SingleStack');
    }
  });

  it('skips taken addresses and says when the range is full', () => {
    const small = '192.168.5.0/30'; // two usable addresses: .1 and .2
    const s = svc('web', { type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP' }] });
    expect(allocateServiceAddresses(s, [taken('192.168.5.1')], small, () => 0)).toEqual([]);
    expect(s.spec!.clusterIP).toBe('192.168.5.2');
    const full = svc('api', { type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP' }] });
    expect(allocateServiceAddresses(full, [taken('192.168.5.1'), taken('192.168.5.2')], small, () => 0)).toMatchObject([{ field: 'spec.clusterIPs', detail: 'failed to allocate IP: range is full' }]);
  });

  it('checks an address the client asks for: in range, not taken by another Service, its own one allowed', () => {
    const outside = svc('a', { type: 'ClusterIP', clusterIP: '10.1.0.5', clusterIPs: ['10.1.0.5'], ports: [{ port: 80, protocol: 'TCP' }] });
    expect(allocateServiceAddresses(outside, [], CIDR)[0]!.detail).toBe('failed to allocate IP 10.1.0.5: the provided IP (10.1.0.5) is not in the valid range. The range of valid IPs is 10.0.0.0/16');
    const broadcast = svc('b', { type: 'ClusterIP', clusterIP: '10.0.255.255', ports: [{ port: 80, protocol: 'TCP' }] });
    expect(allocateServiceAddresses(broadcast, [], CIDR)[0]!.detail).toMatch(/not in the valid range/);
    const clash = svc('c', { type: 'ClusterIP', clusterIP: '10.0.0.10', ports: [{ port: 80, protocol: 'TCP' }] });
    expect(allocateServiceAddresses(clash, [taken('10.0.0.10')], CIDR)[0]!.detail).toBe('failed to allocate IP 10.0.0.10: provided IP is already allocated');
    const self = svc('d', { type: 'ClusterIP', clusterIP: '10.0.0.20', ports: [{ port: 80, protocol: 'TCP' }] }, 'uid-d');
    expect(allocateServiceAddresses(self, [taken('10.0.0.20', 'uid-d')], CIDR)).toEqual([]);
  });

  it('refuses IPv6 and required dual-stack on an IPv4 cluster; headless Services get no address', () => {
    expect(allocateServiceAddresses(svc('a', { type: 'ClusterIP', ipFamilies: ['IPv6'], ports: [{ port: 80, protocol: 'TCP' }] }), [], CIDR)).toMatchObject([
      { field: 'spec.ipFamilies[0]', detail: 'not configured on this cluster' },
    ]);
    expect(allocateServiceAddresses(svc('b', { type: 'ClusterIP', ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 80, protocol: 'TCP' }] }), [], CIDR)).toMatchObject([
      { field: 'spec.ipFamilyPolicy', detail: 'this cluster is not configured for dual-stack services' },
    ]);
    const headless = svc('h', { type: 'ClusterIP', clusterIP: 'None', selector: { app: 'db' } });
    expect(allocateServiceAddresses(headless, [], CIDR)).toEqual([]);
    expect(headless.spec!.clusterIPs).toEqual(['None']);
  });

  it('gives an ExternalName Service no address and no node ports', () => {
    const s = svc('ext', { type: 'ExternalName', externalName: 'example.com', clusterIP: '10.0.0.9', ports: [{ port: 80, protocol: 'TCP', nodePort: 30001 }] });
    expect(allocateServiceAddresses(s, [], CIDR)).toEqual([]);
    expect(s.spec!.clusterIP).toBeUndefined();
    expect(s.spec!.ports![0]!.nodePort).toBeUndefined();
  });
});

describe('node ports', () => {
  it('allocates one per port number (TCP and UDP of a port share it), in range, avoiding other Services’ ports', () => {
    const other = svc('o', { type: 'NodePort', clusterIP: '10.0.0.5', ports: [{ port: 80, protocol: 'TCP', nodePort: 30000 }] }, 'o');
    const s = svc('dns', { type: 'NodePort', ports: [{ name: 'udp', port: 53, protocol: 'UDP' }, { name: 'tcp', port: 53, protocol: 'TCP' }, { name: 'web', port: 80, protocol: 'TCP' }] });
    expect(allocateServiceAddresses(s, [other], CIDR, () => 0)).toEqual([]);
    const [udp, tcp, web] = s.spec!.ports!.map((p) => p.nodePort!);
    expect(udp).toBe(tcp);
    expect(web).not.toBe(udp);
    for (const n of [udp, web]) {
      expect(n).toBeGreaterThanOrEqual(30001); // 30000 is the other Service's
      expect(n).toBeLessThanOrEqual(32767);
    }
  });

  it('refuses a node port out of range or another Service’s, and LoadBalancer Services get them too', () => {
    const other = svc('o', { type: 'NodePort', clusterIP: '10.0.0.5', ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }] }, 'o');
    expect(allocateServiceAddresses(svc('a', { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 80 }] }), [], CIDR)[0]!.detail).toBe(
      'provided port is not in the valid range. The range of valid ports is 30000-32767',
    );
    expect(allocateServiceAddresses(svc('b', { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }] }), [other], CIDR)[0]).toMatchObject({
      field: 'spec.ports[0].nodePort',
      detail: 'provided port is already allocated',
    });
    const lb = svc('lb', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: true, ports: [{ port: 443, protocol: 'TCP' }] });
    expect(allocateServiceAddresses(lb, [], CIDR)).toEqual([]);
    expect(lb.spec!.ports![0]!.nodePort).toBeGreaterThanOrEqual(30000);
    const lbWithout = svc('lb2', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 443, protocol: 'TCP' }] });
    expect(allocateServiceAddresses(lbWithout, [], CIDR)).toEqual([]);
    expect(lbWithout.spec!.ports![0]!.nodePort).toBeUndefined();
  });
});

describe('the Service strategy', () => {
  it('defaults as upstream: ClusterIP, sessionAffinity None, TCP, targetPort = port, the traffic policies', () => {
    const s = svc('web', { ports: [{ port: 8080 }] } as NonNullable<Service['spec']>);
    services.defaults!(s);
    expect(s.spec).toMatchObject({ type: 'ClusterIP', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster', ports: [{ port: 8080, protocol: 'TCP', targetPort: 8080 }] });
    expect(s.spec!.externalTrafficPolicy).toBeUndefined();
    const lb = svc('lb', { type: 'LoadBalancer', ports: [{ port: 80 }] } as NonNullable<Service['spec']>);
    services.defaults!(lb);
    expect(lb.spec).toMatchObject({ externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true });
  });

  it('keeps the allocated cluster IP and node ports when an update leaves them out, and refuses changing the IP', () => {
    const old = svc('web', { type: 'NodePort', clusterIP: '10.0.3.4', clusterIPs: ['10.0.3.4'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', sessionAffinity: 'None', externalTrafficPolicy: 'Cluster', ports: [{ port: 80, protocol: 'TCP', targetPort: 80, nodePort: 31000 }] });
    const next = svc('web', { type: 'NodePort', sessionAffinity: 'None', externalTrafficPolicy: 'Cluster', ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }] });
    services.prepareForUpdate!(next, old, undefined);
    expect(next.spec).toMatchObject({ clusterIP: '10.0.3.4', clusterIPs: ['10.0.3.4'], ports: [{ nodePort: 31000, targetPort: 8080 }] });
    expect(services.validateUpdate!(next, old, undefined)).toEqual([]);
    const moved = svc('web', { ...next.spec, clusterIP: '10.0.3.5', clusterIPs: ['10.0.3.5'] });
    expect(services.validateUpdate!(moved, old, undefined)).toMatchObject([{ field: 'spec.clusterIPs[0]', detail: 'may not change once set' }]);
  });

  it('validates in upstream’s words: ports required, named when several, known types and protocols', () => {
    const fields = (spec: NonNullable<Service['spec']>) => services.validate!(svc('x', { sessionAffinity: 'None', ...spec })).map((e) => `${e.field}: ${e.type}`);
    expect(fields({ type: 'ClusterIP' })).toEqual(['spec.ports: FieldValueRequired']);
    expect(fields({ type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }, { port: 81, protocol: 'TCP', targetPort: 81 }] })).toEqual(['spec.ports[0].name: FieldValueRequired', 'spec.ports[1].name: FieldValueRequired']);
    expect(fields({ type: 'Foo', ports: [{ port: 70000, protocol: 'HTTP', targetPort: 80 }] })).toEqual(['spec.ports[0].port: FieldValueInvalid', 'spec.ports[0].protocol: FieldValueNotSupported', 'spec.type: FieldValueNotSupported']);
    expect(fields({ type: 'ExternalName' })).toEqual(['spec.externalName: FieldValueRequired']);
    expect(fields({ type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP', targetPort: 80, nodePort: 30001 }] })).toEqual(['spec.ports[0].nodePort: FieldValueForbidden']);
    expect(fields({ type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true, loadBalancerSourceRanges: ['10.0.0.0/8', 'nope'], ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] })).toEqual([
      'spec.LoadBalancerSourceRanges[1]: FieldValueInvalid',
    ]);
  });
});

describe('the system Services', () => {
  it('kubernetes takes the first address of the service CIDR and kube-dns the DNS service IP', () => {
    expect(kubernetesServiceIp('10.0.0.0/16')).toBe('10.0.0.1');
    expect(kubernetesServiceIp('172.16.8.0/22')).toBe('172.16.8.1');
    const [kubernetes, dns, metrics] = systemServices({ serviceCidr: '10.2.0.0/16', dnsServiceIP: '10.2.0.10' });
    expect([kubernetes!.metadata.namespace, kubernetes!.metadata.name, kubernetes!.spec!.clusterIP]).toEqual(['default', 'kubernetes', '10.2.0.1']);
    expect([dns!.metadata.name, dns!.spec!.clusterIP, dns!.spec!.selector]).toEqual(['kube-dns', '10.2.0.10', { 'k8s-app': 'kube-dns' }]);
    expect(metrics!.spec!.clusterIP).toBeUndefined();
  });
});
