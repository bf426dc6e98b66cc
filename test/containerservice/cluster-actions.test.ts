/**
 * SPEC C-13: the other actions on managed clusters and agent pools, with their effects: a certificate rotation
 * retires the local-account kubeconfigs handed out before it (the real kubectl is refused with them, and works with
 * new ones), the monitoring user's kubeconfig signs in as clusterMonitoringUser, an abort cancels the running
 * operation, the profile resets change what the cluster shows, and the outbound dependencies list.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { armClient, clusterBody, linuxPool, type ArmClient } from '../../testkit/containerservice.js';
import { kubectl } from '../../testkit/kube/kube-env.js';
import { describeWith } from '../../testkit/optional.js';

type Emu = Awaited<ReturnType<typeof startTestEmulator>>;

async function credential(a: ArmClient, cluster: string, action: string): Promise<string> {
  const r = await a.call('POST', `${cluster}/${action}`);
  expect(r.status, r.text).toBe(200);
  return Buffer.from(r.json().kubeconfigs[0].value, 'base64').toString('utf8');
}

describeWith(['kubectl'], 'cluster certificates and the monitoring user, with the real kubectl', () => {
  let emu: Emu;
  let a: ArmClient;
  let home: string;
  const whoami = (kubeconfig: string, name: string) => {
    const file = join(home, name);
    writeFileSync(file, kubeconfig, { mode: 0o600 });
    return kubectl({ home, env: { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', KUBECONFIG: file } }, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
  };
  beforeAll(async () => {
    emu = await startTestEmulator();
    a = await armClient(emu.url, emu.env);
    home = mkdtempSync(join(tmpdir(), 'aksemu-actions-'));
    await a.call('PUT', `/subscriptions/${a.sub}/resourcegroups/rg`, { location: 'eastus' }, '2021-04-01');
    expect((await a.run('PUT', a.cluster('rg', 'c1'), clusterBody({ pools: [linuxPool('nodepool1', { count: 1 })] }))).status).toBe('Succeeded');
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('listClusterMonitoringUserCredential signs in as clusterMonitoringUser', async () => {
    const r = await whoami(await credential(a, a.cluster('rg', 'c1'), 'listClusterMonitoringUserCredential'), 'monitoring');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('clusterMonitoringUser');
  });

  it('rotateClusterCertificates: kubeconfigs from before stop working, new ones work', async () => {
    const before = await credential(a, a.cluster('rg', 'c1'), 'listClusterAdminCredential');
    const monitoring = await credential(a, a.cluster('rg', 'c1'), 'listClusterMonitoringUserCredential');
    expect((await whoami(before, 'before')).stdout).toBe('masterclient');
    const rotated = await a.run('POST', `${a.cluster('rg', 'c1')}/rotateClusterCertificates`);
    expect(rotated.first.status).toBe(202);
    expect(rotated.status).toBe('Succeeded');
    const old = await whoami(before, 'before');
    expect(old.code).not.toBe(0);
    expect(old.stderr).toMatch(/Unauthorized|must be logged in/i);
    expect((await whoami(monitoring, 'monitoring-before')).code).not.toBe(0);
    const after = await credential(a, a.cluster('rg', 'c1'), 'listClusterAdminCredential');
    expect(after).not.toBe(before);
    const fresh = await whoami(after, 'after');
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stdout).toBe('masterclient');
    // The deprecated access profile hands out the same (new) admin kubeconfig.
    const profile = await a.call('POST', `${a.cluster('rg', 'c1')}/accessProfiles/clusterAdmin/listCredential`);
    expect(profile.status).toBe(200);
    expect(Buffer.from(profile.json().properties.kubeConfig, 'base64').toString('utf8')).toBe(after);
    expect((await a.call('GET', a.cluster('rg', 'c1'))).json().properties.provisioningState).toBe('Succeeded');
  });
});

describe('cluster actions over ARM', () => {
  let emu: Emu;
  let a: ArmClient;
  beforeAll(async () => {
    emu = await startTestEmulator();
    a = await armClient(emu.url, emu.env);
    await a.call('PUT', `/subscriptions/${a.sub}/resourcegroups/rg`, { location: 'eastus' }, '2021-04-01');
    expect((await a.run('PUT', a.cluster('rg', 'msi'), clusterBody({ pools: [linuxPool('nodepool1', { count: 1 })] }))).status).toBe('Succeeded');
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('resetServicePrincipalProfile is refused on a cluster that runs as a managed identity, and changes a service principal cluster', async () => {
    const refused = await a.call('POST', `${a.cluster('rg', 'msi')}/resetServicePrincipalProfile`, { clientId: 'new-client', secret: 's' });
    expect(refused.status).toBe(400);
    expect(refused.json().error.code).toBe('BadRequest');
    const body = clusterBody({ pools: [linuxPool('nodepool1', { count: 1 })], properties: { servicePrincipalProfile: { clientId: 'old-client', secret: 'x' } } });
    delete (body as { identity?: unknown }).identity;
    expect((await a.run('PUT', a.cluster('rg', 'sp'), body)).status).toBe('Succeeded');
    const reset = await a.run('POST', `${a.cluster('rg', 'sp')}/resetServicePrincipalProfile`, { clientId: 'new-client', secret: 'new-secret' });
    expect(reset.first.status).toBe(202);
    expect(reset.status).toBe('Succeeded');
    const mc = (await a.call('GET', a.cluster('rg', 'sp'))).json();
    expect(mc.properties.servicePrincipalProfile).toEqual({ clientId: 'new-client' });
    expect(JSON.stringify(mc)).not.toContain('new-secret');
  });

  it('resetAADProfile stores the legacy profile without its secret; a request without the server app is a 400', async () => {
    const bad = await a.call('POST', `${a.cluster('rg', 'msi')}/resetAADProfile`, { clientAppID: 'client' });
    expect(bad.status).toBe(400);
    const reset = await a.run('POST', `${a.cluster('rg', 'msi')}/resetAADProfile`, { clientAppID: 'client', serverAppID: 'server', serverAppSecret: 'hush' });
    expect(reset.status).toBe('Succeeded');
    const mc = (await a.call('GET', a.cluster('rg', 'msi'))).json();
    expect(mc.properties.aadProfile).toMatchObject({ clientAppID: 'client', serverAppID: 'server', tenantID: emu.env.AZURE_TENANT_ID });
    expect(JSON.stringify(mc)).not.toContain('hush');
  });

  it('rotateServiceAccountSigningKeys runs as an operation; abort with nothing running is a 204', async () => {
    const r = await a.run('POST', `${a.cluster('rg', 'msi')}/rotateServiceAccountSigningKeys`);
    expect(r.first.status).toBe(202);
    expect(r.status).toBe('Succeeded');
    expect((await a.call('POST', `${a.cluster('rg', 'msi')}/abort`)).status).toBe(204);
    expect((await a.call('POST', `${a.cluster('rg', 'msi')}/agentPools/nodepool1/abort`)).status).toBe(204);
  });

  it('outboundNetworkDependenciesEndpoints lists the categories AKS documents', async () => {
    const r = await a.call('GET', `${a.cluster('rg', 'msi')}/outboundNetworkDependenciesEndpoints`);
    expect(r.status).toBe(200);
    const categories = r.json().value.map((c: { category: string }) => c.category);
    expect(categories).toEqual(expect.arrayContaining(['azure-resource-management', 'images', 'apiserver']));
    expect((await a.call('GET', `${a.cluster('rg', 'nope')}/outboundNetworkDependenciesEndpoints`)).status).toBe(404);
  });
});

describe('abort at realistic speed', () => {
  let emu: Emu;
  let a: ArmClient;
  beforeAll(async () => {
    emu = await startTestEmulator({ speed: 'realistic' });
    a = await armClient(emu.url, emu.env);
    await a.call('PUT', `/subscriptions/${a.sub}/resourcegroups/rg`, { location: 'eastus' }, '2021-04-01');
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('aborting a cluster creation ends its operation Canceled and shows the cluster and its pools Canceled', async () => {
    const created = await a.call('PUT', a.cluster('rg', 'slow'), clusterBody({ pools: [linuxPool('nodepool1', { count: 1 })] }));
    expect(created.status).toBe(201);
    const status = new URL(created.headers['azure-asyncoperation'] as string);
    const aborted = await a.run('POST', `${a.cluster('rg', 'slow')}/abort`);
    expect(aborted.first.status).toBe(202);
    expect(aborted.status).toBe('Succeeded');
    const st = (await a.call('GET', `${status.pathname}`, undefined, status.searchParams.get('api-version')!)).json();
    expect(st.status).toBe('Canceled');
    const mc = (await a.call('GET', a.cluster('rg', 'slow'))).json();
    expect(mc.properties.provisioningState).toBe('Canceled');
    expect(mc.properties.agentPoolProfiles[0].provisioningState).toBe('Canceled');
    // Nothing runs any more: the cluster may be changed again.
    expect((await a.call('POST', `${a.cluster('rg', 'slow')}/abort`)).status).toBe(204);
  });
});
