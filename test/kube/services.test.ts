/**
 * Acceptance: v1 Services with the real `kubectl` (SPEC W-27) on a cluster with its own service CIDR: the system
 * Services every AKS cluster has, `kubectl expose` and `kubectl create service` (protobuf bodies), kubectl's
 * columns, addresses kept across `kubectl apply`, and refusals in kube-apiserver's words that write nothing.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../../testkit/optional.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import { kubectl, kubectlHome, type KubectlHome, type TestEmulator, startEmulatorWithFixtures, kubectlOk } from '../../testkit/kube/kube-env.js';

interface ServiceJson {
  metadata: { name: string; namespace: string };
  spec: { type: string; clusterIP?: string; clusterIPs?: string[]; ports?: Array<{ port: number; nodePort?: number; targetPort?: number | string; protocol: string }> };
}

const manifest = (targetPort: number) => `apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector:
    app: api
  ports:
  - port: 443
    targetPort: ${targetPort}
`;

/** 10.2.0.0/16 as a number range check. */
function inServiceCidr(ip: string): boolean {
  const [a, b, c, d] = ip.split('.').map(Number);
  return a === 10 && b === 2 && c! * 256 + d! > 0 && c! * 256 + d! < 65535;
}

describeWith(['kubectl'], 'Services with kubectl', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let h: KubectlHome;

  const ok = (args: string[], stdin?: string) => kubectlOk(h, args, stdin);
  const get = async (name: string, ns = 'default') => JSON.parse((await ok(['get', 'svc', name, '-n', ns, '-o', 'json'])).stdout) as ServiceJson;

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures({ now: new Date('2026-05-01T00:00:00Z') });
    cluster = await createArmCluster(emu, {
      name: 'services',
      resourceGroup: 'rg',
      properties: { kubernetesVersion: '1.33', networkProfile: { networkPlugin: 'azure', serviceCidr: '10.2.0.0/16', dnsServiceIP: '10.2.0.10' } },
      pools: [{ name: 'nodepool1', count: 1 }],
    });
    h = await kubectlHome(emu, cluster);
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('has the kubernetes Service at the first address of the service CIDR and kube-dns at the DNS service IP', async () => {
    const table = await ok(['get', 'svc', '-A']);
    const [head, ...rows] = table.stdout.trim().split('\n');
    expect(head!.split(/\s+/)).toEqual(['NAMESPACE', 'NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    const cells = rows.map((r) => r.split(/\s+/).slice(0, 6));
    expect(cells).toContainEqual(['default', 'kubernetes', 'ClusterIP', '10.2.0.1', '<none>', '443/TCP']);
    expect(cells).toContainEqual(['kube-system', 'kube-dns', 'ClusterIP', '10.2.0.10', '<none>', '53/UDP,53/TCP']);
    const metrics = await get('metrics-server', 'kube-system');
    expect(inServiceCidr(metrics.spec.clusterIP!)).toBe(true);
  });

  it('kubectl expose makes a NodePort Service with an address in the CIDR and a node port in range, shown as kubectl shows it', async () => {
    await ok(['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=1']);
    await ok(['expose', 'deployment', 'web', '--port=80', '--target-port=8080', '--type=NodePort']);
    const web = await get('web');
    expect(web.spec.type).toBe('NodePort');
    expect(inServiceCidr(web.spec.clusterIP!)).toBe(true);
    expect(web.spec.clusterIPs).toEqual([web.spec.clusterIP]);
    const nodePort = web.spec.ports![0]!.nodePort!;
    expect(nodePort).toBeGreaterThanOrEqual(30000);
    expect(nodePort).toBeLessThanOrEqual(32767);
    const wide = (await ok(['get', 'svc', 'web', '-o', 'wide', '--no-headers'])).stdout.trim().split(/\s+/);
    expect([wide[0], wide[1], wide[2], wide[3], wide[4], wide[6]]).toEqual(['web', 'NodePort', web.spec.clusterIP, '<none>', `80:${nodePort}/TCP`, 'app=web']);
  });

  it('kubectl create service: a LoadBalancer stays pending, an ExternalName has no address, a headless one shows None', async () => {
    await ok(['create', 'service', 'loadbalancer', 'front', '--tcp=443:8443']);
    await ok(['create', 'service', 'externalname', 'ext', '--external-name=db.example.com']);
    await ok(['create', 'service', 'clusterip', 'db', '--clusterip=None']);
    const rows = new Map((await ok(['get', 'svc', 'front', 'ext', 'db', '--no-headers'])).stdout.trim().split('\n').map((l) => [l.split(/\s+/)[0], l.split(/\s+/)] as const));
    expect(rows.get('front')!.slice(1, 4)).toEqual(['LoadBalancer', (await get('front')).spec.clusterIP, '<pending>']);
    expect(rows.get('front')![4]).toMatch(/^443:3\d{4}\/TCP$/);
    expect(rows.get('ext')!.slice(1, 5)).toEqual(['ExternalName', '<none>', 'db.example.com', '<none>']);
    expect(rows.get('db')!.slice(1, 3)).toEqual(['ClusterIP', 'None']);
  });

  it('kubectl apply again keeps the address the server allocated; kubectl get --field-selector finds a Service by it', async () => {
    await ok(['apply', '-f', '-'], manifest(8443));
    const first = await get('api');
    await ok(['apply', '-f', '-'], manifest(9443));
    const second = await get('api');
    expect(second.spec.clusterIP).toBe(first.spec.clusterIP);
    expect(second.spec.ports![0]!.targetPort).toBe(9443);
    const found = await ok(['get', 'svc', '--field-selector', `spec.clusterIP=${first.spec.clusterIP}`, '-o', 'name']);
    expect(found.stdout.trim()).toBe('service/api');
  });

  it('refuses a taken or foreign address, a changed one and a bad name, in kube-apiserver’s words, and writes nothing', async () => {
    const taken = await kubectl(h, ['create', 'service', 'clusterip', 'clash', '--tcp=80:80', '--clusterip=10.2.0.10']);
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toContain('Service "clash" is invalid: spec.clusterIPs: Invalid value: ["10.2.0.10"]: failed to allocate IP 10.2.0.10: provided IP is already allocated');
    const outside = await kubectl(h, ['create', 'service', 'clusterip', 'far', '--tcp=80:80', '--clusterip=10.0.0.5']);
    expect(outside.stderr).toContain('the provided IP (10.0.0.5) is not in the valid range. The range of valid IPs is 10.2.0.0/16');
    const after = await kubectl(h, ['get', 'svc', 'clash', 'far']);
    expect(after.stderr).toContain('services "clash" not found');
    expect(after.stderr).toContain('services "far" not found');

    const api = await get('api');
    const moved = await kubectl(h, ['patch', 'svc', 'api', '--type=merge', '-p', '{"spec":{"clusterIP":"10.2.9.9","clusterIPs":["10.2.9.9"]}}']);
    expect(moved.stderr).toContain('spec.clusterIPs[0]: Invalid value: ["10.2.9.9"]: may not change once set');
    expect((await get('api')).spec.clusterIP).toBe(api.spec.clusterIP);

    const badName = await kubectl(h, ['create', 'service', 'clusterip', '1api', '--tcp=80:80']);
    expect(badName.stderr).toContain("a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character");
  });

  it('goes with its namespace', async () => {
    await ok(['create', 'namespace', 'team']);
    await ok(['create', 'service', 'clusterip', 'cache', '--tcp=6379:6379', '-n', 'team']);
    await ok(['delete', 'namespace', 'team', '--timeout=60s']);
    const gone = await kubectl(h, ['get', 'svc', '-A', '--field-selector', 'metadata.namespace=team', '-o', 'name']);
    expect(gone.stdout.trim()).toBe('');
  });
});
