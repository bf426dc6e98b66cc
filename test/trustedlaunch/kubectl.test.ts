/**
 * Acceptance (SPEC T-3, C-4) with the real kubectl: pods selecting `kubernetes.azure.com/trusted-launch:
 * "true"` land on vTPM nodes and `kubernetes.azure.com/secure-boot: "true"` on Secure Boot nodes, as the article's
 * "assign pods to Trusted Launch nodes" section does; the labels follow a pool update.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { describeWith } from '../../testkit/optional.js';
import { armClient, linuxPool } from '../../testkit/containerservice.js';
import { createArmCluster } from '../../testkit/kube/arm-cluster.js';
import type { FixtureCluster } from '../../testkit/kube/fixtures.js';
import { kubectl, kubectlHome, settle, type KubectlHome, type TestEmulator } from '../../testkit/kube/kube-env.js';
import { TL_ON } from './helpers.js';

const pod = (name: string, selector: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
  - name: app
    image: mcr.microsoft.com/azurelinux/base/nginx:1.25
  nodeSelector:
${selector}
`;

describeWith(['kubectl'], 'pods select Trusted Launch nodes with kubectl', () => {
  let emu: TestEmulator;
  let cluster: FixtureCluster;
  let h: KubectlHome;

  beforeAll(async () => {
    emu = await startTestEmulator({ now: new Date('2025-09-01T00:00:00Z') });
    cluster = await createArmCluster(emu, {
      name: 'myAKSCluster',
      resourceGroup: 'myResourceGroup',
      pools: [
        { name: 'nodepool1', count: 1 },
        { name: 'vtpmpool', count: 2, mode: 'User', securityProfile: { enableVTPM: true } },
        { name: 'bothpool', count: 2, mode: 'User', securityProfile: TL_ON },
      ],
    });
    h = await kubectlHome(emu, cluster);
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  const names = async (args: string[]) => {
    const r = await kubectl(h, ['get', 'nodes', '-o', 'name', ...args]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim().split('\n').filter(Boolean).map((l) => l.replace('node/', '')).sort();
  };

  it('kubectl get nodes -l shows which nodes have vTPM, Secure Boot and the Trusted Launch security type', async () => {
    const tl = await names(['-l', 'kubernetes.azure.com/trusted-launch=true']);
    expect(tl).toHaveLength(4);
    expect(tl.every((n) => /^aks-(vtpmpool|bothpool)-/.test(n))).toBe(true);
    const sb = await names(['-l', 'kubernetes.azure.com/secure-boot=true']);
    expect(sb).toHaveLength(2);
    expect(sb.every((n) => n.startsWith('aks-bothpool-'))).toBe(true);
    expect(await names(['-l', 'kubernetes.azure.com/security-type=TrustedLaunch'])).toEqual(tl);
    expect(await names(['-l', '!kubernetes.azure.com/trusted-launch'])).toEqual([expect.stringMatching(/^aks-nodepool1-/)]);
  });

  it('pods with the article\'s nodeSelectors land on the right nodes', async () => {
    for (const [name, selector] of [
      ['on-vtpm', '    kubernetes.azure.com/trusted-launch: "true"'],
      ['on-secure-boot', '    kubernetes.azure.com/secure-boot: "true"'],
    ] as const) {
      const r = await kubectl(h, ['apply', '-f', '-'], pod(name, selector));
      expect(r.code, r.stderr).toBe(0);
    }
    await settle(emu, cluster);
    const placed = async (name: string) => {
      const p = (await kubectl(h, ['get', 'pod', name, '-o', 'json'])).json();
      expect(p.status.phase).toBe('Running');
      return p.spec.nodeName as string;
    };
    expect(await placed('on-vtpm')).toMatch(/^aks-(vtpmpool|bothpool)-/);
    expect(await placed('on-secure-boot')).toMatch(/^aks-bothpool-/);
  });

  it('the article\'s unquoted `true` is not a string: the pod is refused, as by a real API server', async () => {
    const r = await kubectl(h, ['apply', '-f', '-'], pod('unquoted', '    kubernetes.azure.com/secure-boot: true'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/nodeSelector|cannot unmarshal bool|string/i);
  });

  it('after --disable-secure-boot on the pool, a new Secure Boot pod finds no node and stays Pending', async () => {
    const a = await armClient(emu.url, emu.env);
    const path = `${a.cluster('myResourceGroup', 'myAKSCluster')}/agentPools/bothpool`;
    const r = await a.run('PUT', path, { properties: linuxPool('bothpool', { mode: 'User', count: 2, securityProfile: { enableVTPM: true, enableSecureBoot: false } }) });
    expect(r.status, JSON.stringify(r.error)).toBe('Succeeded');
    await settle(emu, cluster);
    expect(await names(['-l', 'kubernetes.azure.com/secure-boot=true'])).toEqual([]);
    expect((await kubectl(h, ['apply', '-f', '-'], pod('wants-secure-boot', '    kubernetes.azure.com/secure-boot: "true"'))).code).toBe(0);
    await settle(emu, cluster);
    const p = (await kubectl(h, ['get', 'pod', 'wants-secure-boot', '-o', 'json'])).json();
    expect(p.status.phase).toBe('Pending');
    expect(p.spec.nodeName).toBeUndefined();
  });
});
