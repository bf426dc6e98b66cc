/**
 * The kubectl dispatcher runs the kubectl build matching the minor version the cluster's /version reports
 * (1.27–1.33); each build speaks a little differently (1.29 asks only for v2beta1 aggregated discovery, the
 * newer ones for v2, the typed create commands post protobuf). The seeds' commands work with each.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../../testkit/optional.js';
import { addCluster, kubectl, kubectlHome, startEmulatorWithFixtures, type KubectlHome, type TestEmulator } from '../../testkit/kube/kube-env.js';

const VERSIONS = ['1.27.16', '1.29.14', '1.33.2'];

describeWith(['kubectl'], 'kubectl builds 1.27, 1.29 and 1.33', () => {
  let emu: TestEmulator;
  const homes = new Map<string, KubectlHome>();

  beforeAll(async () => {
    emu = await startEmulatorWithFixtures();
    for (const v of VERSIONS) {
      const cluster = await addCluster(emu, { name: `v${v.replace(/\./g, '-')}`, resourceGroup: 'rg', kubernetesVersion: v, pools: [{ name: 'nodepool1', count: 1 }, { name: 'fipsnp', count: 1, fips: true, mode: 'User' }] });
      homes.set(v, await kubectlHome(emu, cluster));
    }
  });
  afterAll(async () => {
    await emu?.close();
  });

  for (const v of VERSIONS) {
    it(`runs the seed commands with kubectl ${v.split('.').slice(0, 2).join('.')}`, async () => {
      const h = homes.get(v)!;
      const version = (await kubectl(h, ['version', '-o', 'json'])).json();
      expect(version.clientVersion.minor).toBe(v.split('.')[1]);
      expect(version.serverVersion.gitVersion).toBe(`v${v}`);
      const nodes = await kubectl(h, ['get', 'nodes', '-l', 'kubernetes.azure.com/fips_enabled=true']);
      expect(nodes.code, nodes.stderr).toBe(0);
      expect(nodes.stdout).toMatch(new RegExp(`aks-fipsnp-\\d{8}-vmss000000\\s+Ready\\s+agent\\s+\\S+\\s+v${v.replace(/\./g, '\\.')}`));
      const pods = await kubectl(h, ['get', 'po', '-n', 'kube-system']);
      expect(pods.code, pods.stderr).toBe(0);
      expect(pods.stdout).toMatch(/konnectivity-agent-\S+\s+1\/1\s+Running/);
      const apply = await kubectl(h, ['apply', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  nodeSelector:\n    kubernetes.azure.com/fips_enabled: "true"\n  containers:\n  - name: c\n    image: nginx:1.27\n');
      expect(apply.code, apply.stderr).toBe(0);
      const secret = await kubectl(h, ['create', 'secret', 'generic', 's', '--from-literal=a=b']);
      expect(secret.code, secret.stderr).toBe(0);
      const json = await kubectl(h, ['get', 'secrets', '-A', '-o', 'json']);
      const replace = await kubectl(h, ['replace', '-f', '-'], json.stdout);
      expect(replace.code, replace.stderr).toBe(0);
      expect(replace.stdout.trim()).toBe('secret/s replaced');
      const strict = await kubectl(h, ['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\nbogus: 1\n');
      expect(strict.code).not.toBe(0);
      expect(strict.stderr).toContain('strict decoding error: unknown field "bogus"');
    });
  }

  it('lands the applied pods on FIPS nodes', async () => {
    for (const v of VERSIONS) {
      const h = homes.get(v)!;
      await waitRunning(h);
    }
    async function waitRunning(h: KubectlHome) {
      for (let i = 0; i < 50; i++) {
        const p = (await kubectl(h, ['get', 'pod', 'p', '-o', 'json'])).json();
        if (p.status.phase === 'Running') {
          expect(p.spec.nodeName).toMatch(/^aks-fipsnp-/);
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('pod p did not run');
    }
  });
});
