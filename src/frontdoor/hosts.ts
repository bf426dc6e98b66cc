/**
 * Which service a request is for, from the host name the client asked for (through the proxy) or from a path
 * prefix (direct requests to https://127.0.0.1:PORT):
 *
 *   management.azure.com            ARM                       direct: /subscriptions/..., /tenants, ...
 *   login.microsoftonline.com, ...  token endpoint           direct: /_login/<tenant>/...
 *   graph.microsoft.com             Microsoft Graph          direct: /_graph/v1.0/...
 *   <vault>.vault.azure.net         Key Vault data plane     direct: /_vault/<vault>/...
 *   <...>.azmk8s.io                 a cluster's Kubernetes   direct: /_k8s/<fqdn>/...
 *
 * Everything else is refused by the proxy (403), so it is never an open proxy.
 */
export type HostService = 'arm' | 'login' | 'graph' | 'vault' | 'kube' | 'direct';

export interface HostRoute {
  service: HostService;
  /** The vault name for 'vault', the cluster FQDN for 'kube'. */
  name?: string;
}

export const SERVICE_PREFIX = { login: '/_login', graph: '/_graph', vault: '/_vault', kube: '/_k8s', admin: '/_aksemu' } as const;

/**
 * Whether a request path names one of the front door's own service prefixes (`/_aksemu/...`, `/_k8s/...`): such a
 * path keeps its meaning on the direct address whatever the TLS server name. Only whole prefixes count, so a path
 * that merely starts with an underscore (`/__proto__`) stays the named host's.
 */
export function isServicePath(url: string): boolean {
  return Object.values(SERVICE_PREFIX).some((p) => url === p || url.startsWith(`${p}/`) || url.startsWith(`${p}?`));
}

const LOGIN_HOSTS = new Set(['login.microsoftonline.com', 'login.windows.net', 'login.microsoft.com', 'sts.windows.net']);
const VAULT_HOST = /^([a-z0-9-]{3,24})\.vault\.azure\.net$/;
const KUBE_HOST = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?\.azmk8s\.io$/;

/** Splits "host:port" / "[v6]:port" and lowercases the host. */
export function splitHostPort(authority: string): { host: string; port: number | undefined } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(authority) ?? /^([^:]+)(?::(\d+))?$/.exec(authority);
  if (!m) return { host: authority.toLowerCase(), port: undefined };
  return { host: m[1]!.toLowerCase().replace(/\.$/, ''), port: m[2] ? Number(m[2]) : undefined };
}

/**
 * The service an Azure host name belongs to, or undefined when aksemu does not serve it. `localNames` are the
 * emulator's own direct names (localhost, the listen address).
 */
export function routeForHost(host: string, localNames: ReadonlySet<string>): HostRoute | undefined {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (localNames.has(h)) return { service: 'direct' };
  if (h === 'management.azure.com') return { service: 'arm' };
  if (LOGIN_HOSTS.has(h)) return { service: 'login' };
  if (h === 'graph.microsoft.com') return { service: 'graph' };
  const vault = VAULT_HOST.exec(h);
  if (vault) return { service: 'vault', name: vault[1]! };
  if (KUBE_HOST.test(h)) return { service: 'kube', name: h };
  return undefined;
}

/** The internal URL for a request: service hosts are mapped onto their direct path prefixes. */
export function internalUrl(route: HostRoute, url: string): string {
  switch (route.service) {
    case 'login':
      return `${SERVICE_PREFIX.login}${url}`;
    case 'graph':
      return `${SERVICE_PREFIX.graph}${url}`;
    case 'vault':
      return `${SERVICE_PREFIX.vault}/${route.name}${url}`;
    case 'kube':
      return `${SERVICE_PREFIX.kube}/${route.name}${url}`;
    default:
      return url;
  }
}

/** Whether a listen address reaches this machine only (127.0.0.0/8, ::1, localhost): anything else is exposed. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = /^(?:::ffff:)?(\d+)\.\d+\.\d+\.\d+$/.exec(h);
  return v4 !== null && Number(v4[1]) === 127;
}
