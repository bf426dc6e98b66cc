/** Small pure pieces of the foundation: host routing, resource ids, sealing, store key ranges. */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { internalUrl, isServicePath, routeForHost, splitHostPort } from '../../src/frontdoor/hosts.js';
import { parseResourceId } from '../../src/arm/resource-id.js';
import { Sealer } from '../../src/secrets/sealer.js';
import { prefixEnd } from '../../src/store/store.js';
import { normalizeLocation } from '../../src/arm/locations.js';

describe('host routing', () => {
  it("keeps only the front door's own prefixes on the direct address, not every path that starts with an underscore", () => {
    for (const p of ['/_aksemu/status', '/_k8s/c.hcp.eastus.azmk8s.io/api', '/_vault/kv1/keys', '/_login', '/_aksemu?x=1']) expect(isServicePath(p)).toBe(true);
    // Found by the fuzz campaign: /__proto__ under a cluster's TLS server name was answered as ARM.
    for (const p of ['/__proto__', '/_', '/_k8sx/a', '/_aksemuz', '/api/v1/_k8s/']) expect(isServicePath(p)).toBe(false);
  });

  const local = new Set(['localhost', '127.0.0.1', '::1']);
  it('maps each Azure host to its service and refuses the rest', () => {
    expect(routeForHost('management.azure.com', local)).toEqual({ service: 'arm' });
    expect(routeForHost('LOGIN.microsoftonline.com', local)).toEqual({ service: 'login' });
    expect(routeForHost('login.windows.net', local)).toEqual({ service: 'login' });
    expect(routeForHost('graph.microsoft.com', local)).toEqual({ service: 'graph' });
    expect(routeForHost('myvault.vault.azure.net', local)).toEqual({ service: 'vault', name: 'myvault' });
    expect(routeForHost('mycluster-dns-1a2b3c4d.hcp.eastus.azmk8s.io', local)).toEqual({ service: 'kube', name: 'mycluster-dns-1a2b3c4d.hcp.eastus.azmk8s.io' });
    expect(routeForHost('127.0.0.1', local)).toEqual({ service: 'direct' });
    for (const bad of ['example.com', 'vault.azure.net', 'a.vault.azure.net', 'x.y.vault.azure.net', 'management.azure.com.evil.com', 'azmk8s.io.evil.com']) {
      expect(routeForHost(bad, local), bad).toBeUndefined();
    }
  });
  it('rewrites host-named requests onto the direct path prefixes', () => {
    expect(internalUrl({ service: 'vault', name: 'kv1' }, '/keys/k?api-version=7.4')).toBe('/_vault/kv1/keys/k?api-version=7.4');
    expect(internalUrl({ service: 'login' }, '/t/oauth2/v2.0/token')).toBe('/_login/t/oauth2/v2.0/token');
    expect(internalUrl({ service: 'arm' }, '/subscriptions')).toBe('/subscriptions');
  });
  it('splits authorities', () => {
    expect(splitHostPort('Management.Azure.com:443')).toEqual({ host: 'management.azure.com', port: 443 });
    expect(splitHostPort('[::1]:8443')).toEqual({ host: '::1', port: 8443 });
    expect(splitHostPort('example.com')).toEqual({ host: 'example.com', port: undefined });
  });
});

describe('ARM resource ids and locations', () => {
  it('parses nested provider ids case-insensitively', () => {
    expect(parseResourceId('/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c1/agentPools/np')).toEqual({
      subscriptionId: 's',
      resourceGroup: 'rg',
      namespace: 'Microsoft.ContainerService',
      types: ['managedClusters', 'agentPools'],
      names: ['c1', 'np'],
    });
    expect(parseResourceId('/SUBSCRIPTIONS/s/RESOURCEGROUPS/rg')).toMatchObject({ subscriptionId: 's', resourceGroup: 'rg', types: [] });
    expect(parseResourceId('/subscriptions/s/resourceGroups/rg/providers/NS/type')).toBeUndefined();
    expect(parseResourceId('/tenants/t')).toBeUndefined();
  });
  it('normalizes region names and display names', () => {
    expect(normalizeLocation('East US')).toBe('eastus');
    expect(normalizeLocation('WESTEUROPE')).toBe('westeurope');
    expect(normalizeLocation('atlantis')).toBeUndefined();
  });
});

describe('Sealer', () => {
  it('round-trips, binds the purpose and detects tampering', () => {
    const sealer = new Sealer(randomBytes(32));
    const secret = randomBytes(100);
    const sealed = sealer.seal(secret, 'key-a');
    expect(sealed.includes(secret.subarray(0, 16))).toBe(false);
    expect(sealer.unseal(sealed, 'key-a').equals(secret)).toBe(true);
    expect(() => sealer.unseal(sealed, 'key-b')).toThrow();
    const tampered = Buffer.from(sealed);
    tampered[20]! ^= 1;
    expect(() => sealer.unseal(tampered, 'key-a')).toThrow();
    expect(() => new Sealer(randomBytes(32)).unseal(sealed, 'key-a')).toThrow();
  });
});

describe('store key ranges', () => {
  it('computes the end of a prefix range in byte order', () => {
    expect(prefixEnd('/a/').toString()).toBe('/a0');
    expect(prefixEnd('/a/\u00ff')).toEqual(Buffer.concat([Buffer.from('/a/'), Buffer.from([0xc3, 0xc0])]));
  });
});
