/**
 * The real Debian az 2.45 reads what Trusted Launch produces: the pools' security profiles (`az aks nodepool
 * list`) and Defender's integrity alerts (`az security alert list`, api-version 2022-01-01). az 2.45 predates the
 * --enable-secure-boot/--enable-vtpm flags (CLI 2.66), so the pools are created with `az rest` as a newer client
 * would send them. The remediation an alert names, `az aks nodepool upgrade --node-image-only`, rebuilds a tampered
 * node (SPEC T-7).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { az, azLogin } from '../../testkit/az.js';
import { removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { describeWith } from '../../testkit/optional.js';
import { aksemu, eventually } from './helpers.js';

describeWith(['az'], 'real az 2.45 reads Trusted Launch pools and integrity alerts', () => {
  let emu: Awaited<ReturnType<typeof startTestEmulator>>;
  let env: Record<string, string>;
  beforeAll(async () => {
    emu = await startTestEmulator({ now: new Date('2025-09-01T00:00:00Z') });
    env = { ...emu.env, HOME: mkdtempSync(join(tmpdir(), 'aksemu-az-home-')) };
    await azLogin(env);
    expect((await az(['group', 'create', '-n', 'rg', '-l', 'eastus', '-o', 'none'], env)).code).toBe(0);
    const url = `https://management.azure.com/subscriptions/${env.AZURE_SUBSCRIPTION_ID}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c1?api-version=2024-05-01`;
    const body = {
      location: 'eastus',
      identity: { type: 'SystemAssigned' },
      properties: {
        dnsPrefix: 'c1',
        agentPoolProfiles: [
          { name: 'nodepool1', count: 1, vmSize: 'Standard_DS2_v2', mode: 'System', securityProfile: { enableSecureBoot: true, enableVTPM: true } },
          { name: 'vtpmonly', count: 1, vmSize: 'Standard_DS2_v2', mode: 'User', securityProfile: { enableVTPM: true } },
        ],
      },
    };
    const put = await az(['rest', '--method', 'put', '--url', url, '--body', JSON.stringify(body), '-o', 'none'], env);
    expect(put.code, put.stderr).toBe(0);
    await emu.core.tasks.idle();
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('az aks nodepool list shows the Trusted Launch images; az rest with a current api-version the security profiles', async () => {
    const r = await az(['aks', 'nodepool', 'list', '-g', 'rg', '--cluster-name', 'c1', '--query', '[].{name:name, image:nodeImageVersion}', '-o', 'json'], env);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.json<Array<{ name: string; image: string }>>().sort((a, b) => a.name.localeCompare(b.name));
    expect(rows.map((x) => x.name)).toEqual(['nodepool1', 'vtpmonly']);
    for (const x of rows) expect(x.image).toMatch(/^AKSUbuntu-2204gen2TLcontainerd-/);
    // az 2.45 speaks api-version 2022-11-01, whose agent pool model has no securityProfile yet.
    const url = `https://management.azure.com/subscriptions/${env.AZURE_SUBSCRIPTION_ID}/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c1/agentPools?api-version=2024-05-01`;
    const rest = await az(['rest', '--method', 'get', '--url', url, '--query', 'value[].[name, properties.securityProfile.enableSecureBoot, properties.securityProfile.enableVTPM]', '-o', 'json'], env);
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.json<unknown[]>().sort()).toEqual([
      ['nodepool1', true, true],
      ['vtpmonly', false, true],
    ]);
  });

  it('az security alert list shows the Medium "VM attestation failure" of the node without Secure Boot', async () => {
    const r = await az(['security', 'alert', 'list', '--query', '[].{name:alertDisplayName, severity:severity, node:compromisedEntity, components:extendedProperties."Failed components"}', '-o', 'json'], env);
    expect(r.code, r.stderr).toBe(0);
    const alerts = r.json<Array<{ name: string; severity: string; node: string; components: string }>>();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ name: 'VM attestation failure', severity: 'Medium', components: 'Secure Boot (disabled)' });
    expect(alerts[0]!.node).toMatch(/^aks-vtpmonly-\d{8}-vmss000000$/);
  });

  it('SPEC T-7: after a tampered kernel, the alert\'s az aks nodepool upgrade --node-image-only rebuilds the node', async () => {
    const cli = (args: string[]) => aksemu(args, { AKSEMU_DATA_DIR: emu.dataDir });
    const node = (await az(['security', 'alert', 'list', '--query', '[0].compromisedEntity', '-o', 'tsv'], env)).stdout.trim();
    expect((await cli(['node', 'tamper', node, '--component', 'kernel'])).code).toBe(0);
    await eventually('the reboot', async () => JSON.parse((await cli(['node', 'show', node])).stdout), (v) => v.state === 'Running' && v.bootCount === 2);
    const kernelAlerts = async () => {
      const r = await az(['security', 'alert', 'list', '--query', "[?contains(extendedProperties.\"Failed components\", 'vmlinuz')].{name:name, steps:remediationSteps}", '-o', 'json'], env);
      expect(r.code, r.stderr).toBe(0);
      return r.json<Array<{ name: string; steps: string[] }>>();
    };
    const raised = await kernelAlerts();
    expect(raised).toHaveLength(1);
    expect(raised[0]!.steps.join('\n')).toContain('az aks nodepool upgrade --resource-group rg --cluster-name c1 --name vtpmonly --node-image-only');

    const up = await az(['aks', 'nodepool', 'upgrade', '-g', 'rg', '--cluster-name', 'c1', '-n', 'vtpmonly', '--node-image-only', '--yes', '-o', 'json'], env, 120_000);
    expect(up.code, up.stderr).toBe(0);
    expect(up.json().provisioningState).toBe('Succeeded');
    const log = JSON.parse((await cli(['node', 'boot-log', node, '-o', 'json'])).stdout);
    expect(log.tampers).toEqual([]);
    expect(log.boot.seq).toBe(3);
    const att = JSON.parse((await cli(['node', 'attest', node])).stdout);
    expect(att.deviations).toEqual([]);
    // The new boot raises nothing about the kernel (Secure Boot off stays the pool's own finding).
    expect((await kernelAlerts()).map((a) => a.name)).toEqual([raised[0]!.name]);
  });
});
