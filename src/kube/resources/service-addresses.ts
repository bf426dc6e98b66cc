/**
 * The addresses kube-apiserver allocates to a Service (SPEC W-27): a cluster IP from the cluster's service CIDR
 * (networkProfile.serviceCidr, 10.0.0.0/16 unless set) and node ports from 30000-32767, each unique in the
 * cluster. An address the client asks for is checked (in range, not taken); a missing one is picked at random
 * among the free ones, as upstream's allocators pick. The cluster is IPv4 single-stack, as AKS's default
 * kubenet/Azure CNI clusters are, so IPv6 and dual-stack requests are refused in upstream's words.
 *
 * Allocation reads the other Services of the cluster; two creates racing for the same free address are not
 * serialised (upstream keeps a bitmap in etcd for that), a risk of one in tens of thousands per race.
 */
import ipaddr from 'ipaddr.js';
import type { FieldError } from '../api/machinery/errors.js';
import type { Service } from '../api/machinery/types.js';
import { wantsNodePorts } from './services.js';

export const NODE_PORT_RANGE = { first: 30000, last: 32767 };

type Random = () => number;

function ipv4Number(ip: ipaddr.IPv4): number {
  return ip.toByteArray().reduce((n, b) => n * 256 + b, 0);
}

function ipv4Text(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** The usable addresses of an IPv4 CIDR: [first, last] without the network and broadcast addresses. */
function usableRange(cidr: string): { first: number; last: number; range: [ipaddr.IPv4, number] } {
  const [net, bits] = ipaddr.IPv4.parseCIDR(cidr);
  const base = ipv4Number(net);
  const size = 2 ** (32 - bits);
  const start = base - (base % size);
  return { first: start + 1, last: start + size - 2, range: [net, bits] };
}

/** The first usable address of the service CIDR: the `kubernetes` Service's, as kube-apiserver reserves it. */
export function kubernetesServiceIp(serviceCidr: string): string {
  return ipv4Text(usableRange(serviceCidr).first);
}

/** A random free number in [first, last] not in `used`; undefined when every one is taken. */
function pickFree(first: number, last: number, used: Set<number>, random: Random): number | undefined {
  const size = last - first + 1;
  if (used.size >= size) return undefined;
  const start = Math.floor(random() * size);
  for (let i = 0; i < size; i++) {
    const n = first + ((start + i) % size);
    if (!used.has(n)) return n;
  }
  return undefined;
}

function allocateClusterIp(svc: Service, others: Service[], serviceCidr: string, random: Random): FieldError[] {
  const spec = svc.spec!;
  if ((spec.ipFamilies ?? []).some((f) => f === 'IPv6')) {
    const i = spec.ipFamilies!.indexOf('IPv6');
    return [{ type: 'FieldValueInvalid', field: `spec.ipFamilies[${i}]`, value: 'IPv6', detail: 'not configured on this cluster' }];
  }
  if (spec.ipFamilyPolicy === 'RequireDualStack') {
    return [{ type: 'FieldValueInvalid', field: 'spec.ipFamilyPolicy', value: 'RequireDualStack', detail: 'this cluster is not configured for dual-stack services' }];
  }
  spec.ipFamilies = ['IPv4'];
  spec.ipFamilyPolicy ??= 'SingleStack';
  if (spec.clusterIP === 'None') {
    spec.clusterIPs = ['None'];
    return [];
  }
  const { first, last, range } = usableRange(serviceCidr);
  const used = new Set<number>();
  for (const o of others) {
    const ip = o.spec?.clusterIP;
    if (ip && ip !== 'None' && ipaddr.IPv4.isValid(ip)) used.add(ipv4Number(ipaddr.IPv4.parse(ip)));
  }
  if (spec.clusterIP) {
    const asked = spec.clusterIP;
    const fail = (why: string): FieldError[] => [{ type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: spec.clusterIPs ?? [asked], detail: `failed to allocate IP ${asked}: ${why}` }];
    if (!ipaddr.IPv4.isValidFourPartDecimal(asked)) return fail(`the provided IP (${asked}) is not in the valid range. The range of valid IPs is ${serviceCidr}`);
    const ip = ipaddr.IPv4.parse(asked);
    const n = ipv4Number(ip);
    if (!ip.match(range) || n < first || n > last) return fail(`the provided IP (${asked}) is not in the valid range. The range of valid IPs is ${serviceCidr}`);
    if (used.has(n)) return fail('provided IP is already allocated');
  } else {
    const n = pickFree(first, last, used, random);
    if (n === undefined) return [{ type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: [], detail: 'failed to allocate IP: range is full' }];
    spec.clusterIP = ipv4Text(n);
  }
  spec.clusterIPs = [spec.clusterIP];
  return [];
}

/** Checks the node ports asked for, and picks the missing ones when `fill` (the type wants node ports). */
function allocateNodePorts(svc: Service, others: Service[], random: Random, fill: boolean): FieldError[] {
  const ports = svc.spec!.ports ?? [];
  const used = new Set<number>();
  for (const o of others) for (const p of o.spec?.ports ?? []) if (p.nodePort) used.add(p.nodePort);
  const errs: FieldError[] = [];
  // A port number used twice in one Service (TCP and UDP of the same port) shares its node port.
  const mine = new Map<number, number>();
  ports.forEach((p, i) => {
    if (!p.nodePort) return;
    if (p.nodePort < NODE_PORT_RANGE.first || p.nodePort > NODE_PORT_RANGE.last) {
      errs.push({ type: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, value: p.nodePort, detail: `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.first}-${NODE_PORT_RANGE.last}` });
    } else if (used.has(p.nodePort)) {
      errs.push({ type: 'FieldValueInvalid', field: `spec.ports[${i}].nodePort`, value: p.nodePort, detail: 'provided port is already allocated' });
    }
    mine.set(p.port, p.nodePort);
  });
  if (errs.length > 0) return errs;
  if (!fill) return [];
  for (const n of mine.values()) used.add(n);
  for (const p of ports) {
    if (p.nodePort) continue;
    const shared = mine.get(p.port);
    const n = shared ?? pickFree(NODE_PORT_RANGE.first, NODE_PORT_RANGE.last, used, random);
    if (n === undefined) return [{ type: 'FieldValueInvalid', field: 'spec.ports', value: ports.map((x) => x.port), detail: 'failed to allocate a nodePort: range is full' }];
    p.nodePort = n;
    used.add(n);
    mine.set(p.port, n);
  }
  return [];
}

/**
 * Allocates (or checks) the cluster IP and node ports of `svc` in place, given the cluster's other Services
 * (`others` may hold `svc`'s own stored version: an object never conflicts with itself). Answers the refusals.
 */
export function allocateServiceAddresses(svc: Service, others: Service[], serviceCidr: string, random: Random = Math.random): FieldError[] {
  const spec = (svc.spec ??= {});
  const rest = others.filter((o) => o.metadata.uid !== svc.metadata.uid);
  if (spec.type === 'ExternalName') {
    delete spec.clusterIP;
    delete spec.clusterIPs;
    delete spec.ipFamilies;
    delete spec.ipFamilyPolicy;
    for (const p of spec.ports ?? []) delete p.nodePort;
    return [];
  }
  const errs = allocateClusterIp(svc, rest, serviceCidr, random);
  if (errs.length > 0) return errs;
  return allocateNodePorts(svc, rest, random, wantsNodePorts(spec));
}
