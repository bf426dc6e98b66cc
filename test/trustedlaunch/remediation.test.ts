/**
 * Acceptance, SPEC T-7: the remediation an integrity alert names works. A tampered boot component raises the alert
 * (or stops the boot); `aksemu aks nodepool upgrade --node-image-only` — on a pool that already runs the newest
 * node image — lays the image down again on exactly the nodes whose OS disk is no longer the image's; their next
 * boot measures the image's signed components, the PCRs equal those of an untouched sibling (the golden values),
 * attestation finds no deviation and the boot raises no alert about the component.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDataDir } from '../../testkit/emulator.js';
import { clusterBody, linuxPool } from '../../testkit/containerservice.js';
import { aksemu, eventually, TL_ON, tlTestbed, type TlTestbed } from './helpers.js';

interface BootLog {
  state: string;
  tampers: unknown[];
  pcrs: Record<string, string>;
  boot: { seq: number; halted?: unknown; steps: Array<{ component: string; verification: string }> };
}
interface Attestation {
  healthy: boolean;
  deviations: Array<{ pcr: number; kind: string; component: string }>;
  checks: Array<{ ok: boolean }>;
  findings: Array<{ components: string[] }>;
}
type AlertDoc = { name: string; properties: { compromisedEntity: string; alertDisplayName: string; remediationSteps: string[]; extendedProperties: Record<string, string> } };

describe('Trusted Launch: a node image upgrade remediates a tampered boot chain', () => {
  let tb: TlTestbed;
  const byPool: Record<string, string[]> = {};
  const env = () => ({ AKSEMU_DATA_DIR: tb.emu.dataDir });
  const cli = async (args: string[]) => aksemu(args, env());
  const json = async <T>(args: string[]): Promise<T> => {
    const r = await cli(args);
    expect([0, 3], r.stderr).toContain(r.code);
    return JSON.parse(r.stdout) as T;
  };
  const show = (node: string) => json<{ state: string; bootCount: number; nodeImageVersion: string }>(['node', 'show', node]);
  const bootLog = (node: string) => json<BootLog>(['node', 'boot-log', node, '-o', 'json']);
  const attest = (node: string) => json<Attestation>(['node', 'attest', node]);
  const alertsOf = async (node: string) => (await json<AlertDoc[]>(['alerts', 'list'])).filter((a) => a.properties.compromisedEntity === node);
  const upgradeNodeImage = async (pool: string) => {
    const r = await cli(['aks', 'nodepool', 'upgrade', '-g', 'rg', '--cluster-name', 'c1', '-n', pool, '--node-image-only', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { provisioningState: string; nodeImageVersion: string };
  };

  beforeAll(async () => {
    tb = await tlTestbed();
    const r = await tb.a.run(
      'PUT',
      tb.a.cluster('rg', 'c1'),
      clusterBody({
        pools: [
          linuxPool('nodepool1', { count: 1, securityProfile: TL_ON }),
          linuxPool('vtpm', { mode: 'User', count: 2, securityProfile: { enableVTPM: true } }),
          linuxPool('secure', { mode: 'User', count: 2, securityProfile: TL_ON }),
        ],
      }),
    );
    expect(r.status, JSON.stringify(r.error)).toBe('Succeeded');
    for (const n of (await tb.api('GET', '/_aksemu/nodes')).json().value as Array<{ name: string; pool: string }>) (byPool[n.pool] ??= []).push(n.name);
    for (const list of Object.values(byPool)) list.sort();
  });
  afterAll(async () => {
    await tb?.emu.close();
    if (tb) removeDataDir(tb.emu.dataDir);
  });

  it('Secure Boot off: a tampered kernel boots and raises the alert; the node image upgrade it names restores the golden boot', async () => {
    const [node, sibling] = byPool.vtpm as [string, string];
    const golden = (await bootLog(sibling)).pcrs;
    const image = (await show(node)).nodeImageVersion;
    expect((await cli(['node', 'tamper', node, '--component', 'kernel'])).code).toBe(0);
    await eventually('the reboot', () => show(node), (v) => v.state === 'Running' && v.bootCount === 2);
    const tampered = await attest(node);
    expect(tampered.healthy).toBe(false);
    expect(tampered.deviations.map((d) => d.component)).toEqual([expect.stringMatching(/^kernel \(\/boot\/vmlinuz-/)]);
    expect((await bootLog(node)).pcrs).not.toEqual(golden);
    const alert = (await alertsOf(node)).find((a) => /vmlinuz/.test(a.properties.extendedProperties['Failed components']!));
    expect(alert?.properties.alertDisplayName).toBe('VM attestation failure');
    // The alert names the command that remediates, for this pool.
    const step = alert!.properties.remediationSteps.find((s) => s.includes('--node-image-only'))!;
    expect(step).toContain('az aks nodepool upgrade --resource-group rg --cluster-name c1 --name vtpm --node-image-only');

    // The pool already runs the newest image: the upgrade keeps the image and rebuilds the modified disk only.
    const upgraded = await upgradeNodeImage('vtpm');
    expect(upgraded).toMatchObject({ provisioningState: 'Succeeded', nodeImageVersion: image });
    expect(await show(node)).toMatchObject({ state: 'Running', bootCount: 3, nodeImageVersion: image });
    expect((await show(sibling)).bootCount).toBe(1);
    const log = await bootLog(node);
    expect(log.tampers).toEqual([]);
    expect(log.pcrs).toEqual(golden);
    const clean = await attest(node);
    expect(clean.checks.every((c) => c.ok)).toBe(true);
    expect(clean.deviations).toEqual([]);
    // What is left is the pool's own setting (Secure Boot off), not the kernel.
    expect(clean.findings.flatMap((f) => f.components)).toEqual(['Secure Boot (disabled)']);
    const kernelAlerts = (await alertsOf(node)).filter((a) => /vmlinuz/.test(a.properties.extendedProperties['Failed components']!));
    expect(kernelAlerts.map((a) => a.name)).toEqual([alert!.name]);
  });

  it('Secure Boot on: a tampered kernel stops the boot; the node image upgrade boots it verified and it attests healthy', async () => {
    const [node, sibling] = byPool.secure as [string, string];
    const golden = (await bootLog(sibling)).pcrs;
    expect((await cli(['node', 'tamper', node, '--component', 'kernel'])).code).toBe(0);
    const failed = await eventually('the halted boot', () => show(node), (v) => v.state === 'Failed');
    expect(JSON.stringify(failed)).toContain('az aks nodepool upgrade --resource-group rg --cluster-name c1 --name secure --node-image-only');
    expect((await upgradeNodeImage('secure')).provisioningState).toBe('Succeeded');
    expect((await show(node)).state).toBe('Running');
    const log = await bootLog(node);
    expect(log.boot.halted).toBeUndefined();
    expect(log.boot.steps.every((s) => s.verification === 'verified')).toBe(true);
    expect(log.pcrs).toEqual(golden);
    const r = await cli(['node', 'attest', node]);
    expect(r.code, r.stdout).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ healthy: true, deviations: [], findings: [] });
    expect(await alertsOf(node)).toEqual([]);
    expect((await show(sibling)).bootCount).toBe(1);
  });

  it('a modified kernel module is blocked (Low alert); the node image upgrade puts the signed module back', async () => {
    const node = byPool.secure![1]!;
    const before = await bootLog(node);
    const modules = (await json<{ boot: { modules: Array<{ name: string; loaded: boolean }> } }>(['node', 'boot-log', node, '-o', 'json'])).boot.modules;
    const target = modules.find((m) => m.loaded)!;
    const t = await cli(['node', 'tamper', node, '--component', `module:${target.name}`]);
    expect(t.code, t.stderr).toBe(0);
    await eventually('the reboot', () => show(node), (v) => v.state === 'Running' && v.bootCount === 2);
    const low = (await alertsOf(node)).filter((a) => a.properties.alertDisplayName === 'Untrusted Linux kernel module');
    expect(low).toHaveLength(1);
    expect(low[0]!.properties.remediationSteps.join('\n')).toContain('--name secure --node-image-only');
    await upgradeNodeImage('secure');
    const after = await json<{ tampers: unknown[]; boot: { seq: number; modules: Array<{ name: string; loaded: boolean }> } }>(['node', 'boot-log', node, '-o', 'json']);
    expect(after.tampers).toEqual([]);
    expect(after.boot.modules.find((m) => m.name === target.name)?.loaded).toBe(true);
    expect(after.boot.seq).toBe(before.boot.seq + 2);
    expect((await alertsOf(node)).filter((a) => a.properties.alertDisplayName === 'Untrusted Linux kernel module')).toHaveLength(1);
    // Nothing left to rebuild: another node image upgrade reimages no node.
    await upgradeNodeImage('secure');
    expect((await show(node)).bootCount).toBe(3);
  });
});
