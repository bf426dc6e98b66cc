/**
 * v1 Services (SPEC W-27) as kube-apiserver's service strategy keeps them: upstream's defaults (type ClusterIP,
 * sessionAffinity None, TCP ports whose targetPort is the port, the traffic policies), its validation in its own
 * words, a spec/status split, and the allocated values (clusterIP, clusterIPs, IP families, node ports) carried
 * over when an update leaves them out, as its `patchAllocatedValues` does for `kubectl apply`. The addresses
 * themselves are allocated from the cluster's service CIDR by service-addresses.ts, which needs the other services.
 *
 * No proxy runs behind a Service: nothing routes to its address, and a LoadBalancer Service's external IP stays
 * pending, because no Azure load balancer is emulated.
 */
import type { FieldError } from '../api/machinery/errors.js';
import type { ResourceDef } from '../api/machinery/resource.js';
import { READ_WRITE } from '../api/machinery/resource.js';
import type { Service } from '../api/machinery/types.js';
import { dns1123Label, dns1123Subdomain, notSupported, validateLabels } from '../api/machinery/validation.js';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { age } from '../util/age.js';
import { AGE_COLUMN, NAME_COLUMN, column } from './common.js';

type ServiceSpec = NonNullable<Service['spec']>;
type ServicePort = NonNullable<ServiceSpec['ports']>[number];

export const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const AFFINITIES = ['ClientIP', 'None'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
/** sessionAffinityConfig.clientIP.timeoutSeconds: upstream's default and its bound (one day). */
const DEFAULT_CLIENT_IP_TIMEOUT = 10800;
const MAX_CLIENT_IP_TIMEOUT = 86400;

export function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

/** Whether the Service has node ports (NodePort, or LoadBalancer unless it opted out of them). */
export function wantsNodePorts(spec: ServiceSpec): boolean {
  return spec.type === 'NodePort' || (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
}

function portNumberProblems(n: unknown): string[] {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535 ? [] : ['must be between 1 and 65535, inclusive'];
}

/** A named port (IANA_SVC_NAME), as targetPort may name a container port. */
function portNameProblems(name: string): string[] {
  const out: string[] = [];
  if (name.length > 15) out.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(name)) out.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (name.includes('--')) out.push('must not contain consecutive hyphens');
  if (!/[a-z]/.test(name)) out.push('must contain at least one letter (a-z)');
  if (name.startsWith('-') || name.endsWith('-')) out.push('must not begin or end with a hyphen');
  return out;
}

function validatePort(p: ServicePort, i: number, requireName: boolean, names: Set<string>): FieldError[] {
  const f = `spec.ports[${i}]`;
  const errs: FieldError[] = [];
  if (!p.name) {
    if (requireName) errs.push({ type: 'FieldValueRequired', field: `${f}.name`, detail: '' });
  } else {
    for (const m of dns1123Label(p.name)) errs.push({ type: 'FieldValueInvalid', field: `${f}.name`, value: p.name, detail: m });
    if (names.has(p.name)) errs.push({ type: 'FieldValueDuplicate', field: `${f}.name`, value: p.name });
    names.add(p.name);
  }
  for (const m of portNumberProblems(p.port)) errs.push({ type: 'FieldValueInvalid', field: `${f}.port`, value: p.port, detail: m });
  if (!p.protocol) errs.push({ type: 'FieldValueRequired', field: `${f}.protocol`, detail: '' });
  else if (!PROTOCOLS.includes(p.protocol)) errs.push(notSupported(`${f}.protocol`, p.protocol, PROTOCOLS));
  const target = p.targetPort as unknown;
  const targetProblems = typeof target === 'string' ? portNameProblems(target) : portNumberProblems(target);
  for (const m of targetProblems) errs.push({ type: 'FieldValueInvalid', field: `${f}.targetPort`, value: target, detail: m });
  if (p.nodePort !== undefined && p.nodePort !== 0) {
    for (const m of portNumberProblems(p.nodePort)) errs.push({ type: 'FieldValueInvalid', field: `${f}.nodePort`, value: p.nodePort, detail: m });
  }
  return errs;
}

function validateClusterIPs(spec: ServiceSpec): FieldError[] {
  const errs: FieldError[] = [];
  const ips = spec.clusterIPs ?? [];
  if (spec.clusterIP && ips.length > 0 && ips[0] !== spec.clusterIP) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: ips, detail: 'first value must match `clusterIP`' });
  }
  if (!spec.clusterIP && ips.length > 0) errs.push({ type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: ips, detail: 'must be empty when `clusterIP` is not specified' });
  if (ips.length > 2) errs.push({ type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: ips, detail: 'may only hold up to 2 values' });
  ips.forEach((ip, i) => {
    if (ip === 'None') {
      if (i > 0 || ips.length > 1) errs.push({ type: 'FieldValueInvalid', field: 'spec.clusterIPs', value: ips, detail: "'None' must be the first and only value" });
    } else if (isIP(ip) === 0) {
      errs.push({ type: 'FieldValueInvalid', field: `spec.clusterIPs[${i}]`, value: ip, detail: 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)' });
    }
  });
  if (spec.clusterIP && spec.clusterIP !== 'None' && ips.length === 0 && isIP(spec.clusterIP) === 0) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', value: spec.clusterIP, detail: 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)' });
  }
  (spec.ipFamilies ?? []).forEach((fam, i) => {
    if (fam !== 'IPv4' && fam !== 'IPv6') errs.push(notSupported(`spec.ipFamilies[${i}]`, fam, ['IPv4', 'IPv6']));
  });
  if (spec.ipFamilyPolicy !== undefined && !IP_FAMILY_POLICIES.includes(spec.ipFamilyPolicy)) errs.push(notSupported('spec.ipFamilyPolicy', spec.ipFamilyPolicy, IP_FAMILY_POLICIES));
  return errs;
}

function validateService(svc: Service): FieldError[] {
  const spec = svc.spec ?? {};
  const errs: FieldError[] = [];
  const ports = spec.ports ?? [];
  if (ports.length === 0 && !isHeadless(svc) && spec.type !== 'ExternalName') errs.push({ type: 'FieldValueRequired', field: 'spec.ports', detail: '' });
  if ((spec.type === 'LoadBalancer' || spec.type === 'NodePort') && isHeadless(svc)) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', value: 'None', detail: `may not be set to 'None' for ${spec.type} services` });
  }
  if (spec.type === 'ExternalName') {
    if ((spec.clusterIPs ?? []).length > 0 || spec.clusterIP) errs.push({ type: 'FieldValueForbidden', field: 'spec.clusterIPs', detail: 'may not be set for ExternalName services' });
    if ((spec.ipFamilies ?? []).length > 0) errs.push({ type: 'FieldValueForbidden', field: 'spec.ipFamilies', detail: 'may not be set for ExternalName services' });
    if (spec.ipFamilyPolicy !== undefined) errs.push({ type: 'FieldValueForbidden', field: 'spec.ipFamilyPolicy', detail: 'may not be set for ExternalName services' });
    const cname = (spec.externalName ?? '').replace(/\.$/, '');
    if (!cname) errs.push({ type: 'FieldValueRequired', field: 'spec.externalName', detail: '' });
    else for (const m of dns1123Subdomain(cname)) errs.push({ type: 'FieldValueInvalid', field: 'spec.externalName', value: cname, detail: m });
  }
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validatePort(p, i, ports.length > 1, names)));
  if (spec.selector) errs.push(...validateLabels(spec.selector, 'spec.selector'));
  if (!spec.sessionAffinity) errs.push({ type: 'FieldValueRequired', field: 'spec.sessionAffinity', detail: '' });
  else if (!AFFINITIES.includes(spec.sessionAffinity)) errs.push(notSupported('spec.sessionAffinity', spec.sessionAffinity, AFFINITIES));
  if (spec.sessionAffinity === 'None' && spec.sessionAffinityConfig) {
    errs.push({ type: 'FieldValueForbidden', field: 'spec.sessionAffinityConfig', detail: 'must not be set when session affinity is None' });
  }
  const timeout = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (spec.sessionAffinity === 'ClientIP' && (timeout === undefined || timeout <= 0 || timeout > MAX_CLIENT_IP_TIMEOUT)) {
    errs.push({ type: 'FieldValueInvalid', field: 'spec.sessionAffinityConfig.clientIP.timeoutSeconds', value: timeout ?? 0, detail: `must be greater than 0 and less than ${MAX_CLIENT_IP_TIMEOUT}` });
  }
  errs.push(...validateClusterIPs(spec));
  (spec.externalIPs ?? []).forEach((ip, i) => {
    if (isIP(ip) === 0) errs.push({ type: 'FieldValueInvalid', field: `spec.externalIPs[${i}]`, value: ip, detail: 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)' });
  });
  if (!spec.type) errs.push({ type: 'FieldValueRequired', field: 'spec.type', detail: '' });
  else if (!SERVICE_TYPES.includes(spec.type)) errs.push(notSupported('spec.type', spec.type, SERVICE_TYPES));
  if (spec.type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (p.nodePort) errs.push({ type: 'FieldValueForbidden', field: `spec.ports[${i}].nodePort`, detail: "may not be used when `type` is 'ClusterIP'" });
    });
  }
  const seenNodePorts = new Set<string>();
  const seenPorts = new Set<string>();
  ports.forEach((p, i) => {
    const key = `${p.protocol}/${p.port}`;
    if (seenPorts.has(key)) errs.push({ type: 'FieldValueDuplicate', field: `spec.ports[${i}]`, value: { port: p.port, protocol: p.protocol } });
    seenPorts.add(key);
    if (!p.nodePort) return;
    const nodeKey = `${p.protocol}/${p.nodePort}`;
    if (seenNodePorts.has(nodeKey)) errs.push({ type: 'FieldValueDuplicate', field: `spec.ports[${i}].nodePort`, value: p.nodePort });
    seenNodePorts.add(nodeKey);
  });
  if ((spec.loadBalancerSourceRanges ?? []).length > 0 && spec.type !== 'LoadBalancer') {
    errs.push({ type: 'FieldValueForbidden', field: 'spec.LoadBalancerSourceRanges', detail: "may only be used when `type` is 'LoadBalancer'" });
  }
  (spec.loadBalancerSourceRanges ?? []).forEach((range, i) => {
    const text = typeof range === 'string' ? range.trim() : '';
    if (!ipaddr.isValidCIDR(text)) errs.push({ type: 'FieldValueInvalid', field: `spec.LoadBalancerSourceRanges[${i}]`, value: text, detail: 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)' });
  });
  if (spec.allocateLoadBalancerNodePorts !== undefined && spec.type !== 'LoadBalancer') {
    errs.push({ type: 'FieldValueForbidden', field: 'spec.allocateLoadBalancerNodePorts', detail: "may only be used when `type` is 'LoadBalancer'" });
  }
  const external = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  if (spec.externalTrafficPolicy !== undefined) {
    if (!external && (spec.externalIPs ?? []).length === 0) errs.push({ type: 'FieldValueInvalid', field: 'spec.externalTrafficPolicy', value: spec.externalTrafficPolicy, detail: 'may only be set for externally-accessible services' });
    else if (!TRAFFIC_POLICIES.includes(spec.externalTrafficPolicy)) errs.push(notSupported('spec.externalTrafficPolicy', spec.externalTrafficPolicy, TRAFFIC_POLICIES));
  } else if (external) {
    errs.push({ type: 'FieldValueRequired', field: 'spec.externalTrafficPolicy', detail: '' });
  }
  if (spec.internalTrafficPolicy !== undefined && !TRAFFIC_POLICIES.includes(spec.internalTrafficPolicy)) errs.push(notSupported('spec.internalTrafficPolicy', spec.internalTrafficPolicy, TRAFFIC_POLICIES));
  return errs;
}

/** "80/TCP,443:31443/TCP" as kubectl's service printer writes ports. */
function portsCell(spec: ServiceSpec): string {
  const ports = spec.ports ?? [];
  if (ports.length === 0) return '<none>';
  return ports.map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`)).join(',');
}

function externalIpCell(svc: Service): string {
  const spec = svc.spec ?? {};
  const external = spec.externalIPs ?? [];
  switch (spec.type) {
    case 'ExternalName':
      return spec.externalName ?? '<none>';
    case 'LoadBalancer': {
      const ingress = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter(Boolean);
      const all = [...ingress, ...external];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    default:
      return external.length > 0 ? external.join(',') : '<none>';
  }
}

export const services: ResourceDef<Service> = {
  group: '',
  version: 'v1',
  resource: 'services',
  singular: 'service',
  kind: 'Service',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  verbs: READ_WRITE,
  subresources: [{ name: 'status', kind: 'Service', verbs: ['get', 'patch', 'update'] }],
  model: 'V1Service',
  nameFormat: 'dns1035-label',
  allowCreateOnUpdate: false,
  returnDeletedObject: true,
  hasStatus: true,
  generation: false,
  fieldSelectors: { 'spec.clusterIP': (s) => s.spec?.clusterIP ?? '', 'spec.type': (s) => s.spec?.type ?? '' },
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'type determines how the Service is exposed.'),
    column('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
    column('External-IP', 'string', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.'),
    column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    AGE_COLUMN,
    column('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1),
  ],
  cells: (s, ctx) => {
    const spec = s.spec ?? {};
    const selector = Object.entries(spec.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    return [s.metadata.name, spec.type ?? '', spec.clusterIP || '<none>', externalIpCell(s), portsCell(spec), age(s.metadata.creationTimestamp, ctx.now), selector || '<none>'];
  },
  prepareForCreate: (s) => {
    s.status = { loadBalancer: {} };
  },
  defaults: (s) => {
    const spec = (s.spec ??= {});
    spec.type ||= 'ClusterIP';
    spec.sessionAffinity ||= 'None';
    if (spec.sessionAffinity === 'ClientIP' && spec.sessionAffinityConfig?.clientIP?.timeoutSeconds === undefined) {
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_TIMEOUT } };
    }
    for (const p of spec.ports ?? []) {
      p.protocol ||= 'TCP';
      if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
    }
    if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && !spec.externalTrafficPolicy) spec.externalTrafficPolicy = 'Cluster';
    if (spec.type !== 'ExternalName' && !spec.internalTrafficPolicy) spec.internalTrafficPolicy = 'Cluster';
    if (spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts === undefined) spec.allocateLoadBalancerNodePorts = true;
    if (spec.clusterIP && !spec.clusterIPs?.length && spec.type !== 'ExternalName') spec.clusterIPs = [spec.clusterIP];
  },
  prepareForUpdate: (s, old, subresource) => {
    if (subresource === 'status') {
      s.spec = old.spec;
      return;
    }
    s.status = old.status;
    // patchAllocatedValues: an update that leaves out what the server allocated keeps it (kubectl apply of a
    // manifest without clusterIP or nodePort), unless the type change releases it.
    const spec = (s.spec ??= {});
    const before = old.spec ?? {};
    if (spec.type !== 'ExternalName' && before.type !== 'ExternalName') {
      if (!spec.clusterIP && before.clusterIP) spec.clusterIP = before.clusterIP;
      if (!spec.clusterIPs?.length && before.clusterIPs?.length && spec.clusterIP === before.clusterIP) spec.clusterIPs = [...before.clusterIPs];
      if (!spec.ipFamilies?.length && before.ipFamilies?.length) spec.ipFamilies = [...before.ipFamilies];
      if (spec.ipFamilyPolicy === undefined && before.ipFamilyPolicy !== undefined) spec.ipFamilyPolicy = before.ipFamilyPolicy;
    }
    if (spec.type && wantsNodePorts(spec) && before.type && wantsNodePorts(before)) {
      for (const p of spec.ports ?? []) {
        if (p.nodePort) continue;
        const was = (before.ports ?? []).find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
        if (was?.nodePort) p.nodePort = was.nodePort;
      }
    }
  },
  validate: validateService,
  validateUpdate: (s, old, subresource) => {
    if (subresource === 'status') return [];
    const errs = validateService(s);
    const spec = s.spec ?? {};
    const before = old.spec ?? {};
    // A Service that keeps a cluster IP keeps the same one (a type change to or from ExternalName may release it).
    if (spec.type !== 'ExternalName' && before.type !== 'ExternalName' && before.clusterIP && spec.clusterIP !== before.clusterIP) {
      errs.push({ type: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', value: spec.clusterIPs ?? [spec.clusterIP ?? ''], detail: 'may not change once set' });
    }
    return errs;
  },
};
