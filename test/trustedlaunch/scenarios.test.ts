/**
 * Acceptance, the integrity scenarios through the built `aksemu` CLI (SPEC T-5, T-6):
 *   - a node whose kernel is tampered with, or signed by an untrusted key, does not boot and the diagnostics name
 *     the kernel; reimaging restores it;
 *   - Secure Boot off plus a tampered boot loader boots, but attestation fails with a Medium alert naming it;
 *   - an unsigned GPU driver on a Secure Boot GPU pool (driver install skipped) is blocked: Low alert, node up;
 * plus the alerts on ARM (Microsoft.Security), every error path of the API, and a restart keeping the vTPM.
 */
import { createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyQuote } from '../../src/trustedlaunch/attestation.js';
import { decodeTpm2ToolsPcrs } from '../../src/trustedlaunch/tpm2.js';
import { removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { httpsCall } from '../../testkit/http.js';
import { clusterBody, linuxPool } from '../../testkit/containerservice.js';
import { aksemu, eventually, isReady, nodeObjects, TL_ON, tlTestbed, type TlTestbed } from './helpers.js';

describe('Trusted Launch integrity scenarios with the aksemu CLI', () => {
  let tb: TlTestbed;
  let uid: string;
  const byPool: Record<string, string[]> = {};
  const dd = () => ['--data-dir', tb.emu.dataDir];
  const show = async (node: string) => JSON.parse((await aksemu(['node', 'show', node, ...dd()])).stdout);
  const alerts = async () => JSON.parse((await aksemu(['alerts', 'list', ...dd()])).stdout) as Array<{ name: string; properties: Record<string, any> }>;

  beforeAll(async () => {
    tb = await tlTestbed();
    const r = await tb.a.run(
      'PUT',
      tb.a.cluster('rg', 'c1'),
      clusterBody({
        pools: [
          linuxPool('nodepool1', { count: 1, securityProfile: TL_ON }),
          linuxPool('sbpool', { mode: 'User', count: 2, securityProfile: TL_ON }),
          linuxPool('vtpm', { mode: 'User', count: 1, securityProfile: { enableVTPM: true } }),
          linuxPool('gpu', { mode: 'User', count: 1, vmSize: 'Standard_NC6s_v3', gpuProfile: { driver: 'None' }, securityProfile: TL_ON }),
          linuxPool('gen1', { mode: 'User', count: 1, vmSize: 'Standard_A2_v2' }),
        ],
      }),
    );
    expect(r.status, JSON.stringify(r.error)).toBe('Succeeded');
    uid = (await tb.a.call('GET', tb.a.cluster('rg', 'c1'))).json().properties.resourceUID;
    for (const n of (await tb.api('GET', '/_aksemu/nodes')).json().value as Array<{ name: string; pool: string }>) (byPool[n.pool] ??= []).push(n.name);
    for (const list of Object.values(byPool)) list.sort();
  });
  afterAll(async () => {
    await tb?.emu.close();
    if (tb) removeDataDir(tb.emu.dataDir);
  });

  it('a tampered kernel stops the boot under Secure Boot: the node is NotReady and the diagnostics name the kernel', async () => {
    const node = byPool.sbpool![0]!;
    const t = await aksemu(['node', 'tamper', node, '--component', 'kernel', ...dd()]);
    expect(t.code, t.stderr).toBe(0);
    expect(JSON.parse(t.stdout)).toMatchObject({ node, component: 'kernel', mode: 'modify', rebooting: true });
    const s = await eventually('the reboot', () => show(node), (v) => v.state === 'Failed');
    expect(s.ready).toBe(false);
    expect(s.failure).toMatchObject({ code: 'NodeSecureBootViolation' });
    expect(s.failure.message).toMatch(/Secure Boot stopped it at the kernel \(\/boot\/vmlinuz-.*-azure\): the signature does not match the content/);
    const n = (await nodeObjects(tb.emu, uid, node))[0]!;
    expect(isReady(n)).toBe(false);

    const log = await aksemu(['node', 'boot-log', node, ...dd()]);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toMatch(/BOOT HALTED at kernel \(\/boot\/vmlinuz-[^)]+\): the signature does not match the content .* \(bad-signature\)/);
    expect(log.stdout).toContain('shim: \\EFI\\ubuntu\\grubx64.efi: verified');
    expect(log.stdout).toContain('error: bad shim signature.');
    expect(log.stdout).toMatch(/Tampered on disk: kernel \(modify\)/);
    // Nothing runs on a node that did not boot.
    const exec = await aksemu(['node', 'exec', node, ...dd(), '--', 'uname', '-r']);
    expect(exec.code).not.toBe(0);
    expect(exec.stderr).toMatch(/NodeNotRunning/);
  });

  it('a kernel signed by an untrusted key does not boot either, and the diagnostics say who signed it', async () => {
    const node = byPool.sbpool![1]!;
    expect((await aksemu(['node', 'tamper', node, '--component', 'kernel', '--mode', 'untrusted-key', ...dd()])).code).toBe(0);
    await eventually('the reboot', () => show(node), (v) => v.state === 'Failed');
    const log = JSON.parse((await aksemu(['node', 'boot-log', node, '-o', 'json', ...dd()])).stdout);
    expect(log.boot.halted).toMatchObject({ component: 'kernel', reason: 'untrusted', stage: 'grub' });
    expect(log.boot.halted.detail).toMatch(/signed by 'Untrusted Publisher', which does not chain to a trusted certificate/);
  });

  it('reimaging the pool restores the signed kernel: both nodes boot again, verified', async () => {
    const r = await tb.a.run('PUT', `${tb.a.cluster('rg', 'c1')}/agentPools/sbpool`, { properties: linuxPool('sbpool', { mode: 'User', count: 2, securityProfile: TL_ON }) });
    expect(r.status, JSON.stringify(r.error)).toBe('Succeeded');
    for (const node of byPool.sbpool!) {
      const log = JSON.parse((await aksemu(['node', 'boot-log', node, '-o', 'json', ...dd()])).stdout);
      expect(log.state).toBe('Running');
      expect(log.tampers).toEqual([]);
      expect(log.boot.halted).toBeUndefined();
      expect(log.boot.steps.every((s: { verification: string }) => s.verification === 'verified')).toBe(true);
    }
  });

  it('Secure Boot off + a tampered boot loader: the node boots, attestation fails, a Medium alert names the boot loader', async () => {
    const node = byPool.vtpm![0]!;
    const before = await alerts();
    // Secure Boot off alone is already an attestation finding on vTPM-only nodes.
    expect(before.find((a) => a.properties.compromisedEntity === node)?.properties.extendedProperties['Failed components']).toBe('Secure Boot (disabled)');
    expect((await aksemu(['node', 'tamper', node, '--component', 'bootloader', '--mode', 'untrusted-key', ...dd()])).code).toBe(0);
    const s = await eventually('the reboot', () => show(node), (v) => v.state === 'Running' && v.bootCount === 2);
    expect(s.ready).toBe(true);

    const att = await aksemu(['node', 'attest', node, ...dd()]);
    expect(att.code).toBe(3);
    const result = JSON.parse(att.stdout);
    expect(result.healthy).toBe(false);
    // The evidence itself is sound (the quote is this vTPM's): the boot deviates from the baseline.
    expect(result.checks.every((c: { ok: boolean }) => c.ok)).toBe(true);
    expect(result.deviations).toEqual([expect.objectContaining({ pcr: 4, kind: 'changed', component: 'boot loader (\\EFI\\ubuntu\\grubx64.efi)' })]);
    expect(result.claims.secureboot).toBe(false);

    const medium = (await alerts()).filter((a) => a.properties.compromisedEntity === node && /grubx64/.test(a.properties.extendedProperties['Failed components']));
    expect(medium).toHaveLength(1);
    expect(medium[0]!.properties).toMatchObject({ alertDisplayName: 'VM attestation failure', severity: 'Medium', status: 'Active', productName: 'Microsoft Defender for Cloud' });
    expect(medium[0]!.properties.description).toMatch(/Components that failed: boot loader \(\\EFI\\ubuntu\\grubx64\.efi\)/);
    expect(medium[0]!.properties.extendedProperties.Reasons).toMatch(/Secure Boot is disabled/);
    // Attesting the same boot again does not raise the same alert twice.
    await aksemu(['node', 'attest', node, ...dd()]);
    expect((await alerts()).filter((a) => a.name === medium[0]!.name)).toHaveLength(1);
    const table = await aksemu(['alerts', 'list', '-o', 'table', ...dd()]);
    expect(table.stdout).toMatch(new RegExp(`Medium\\s+VM attestation failure\\s+${node}\\s+boot loader`));
  });

  it('an unsigned GPU driver on a Secure Boot GPU pool is blocked: the node stays up and a Low alert names it', async () => {
    const node = byPool.gpu![0]!;
    const t = JSON.parse((await aksemu(['node', 'tamper', node, '--component', 'gpu-driver', ...dd()])).stdout);
    expect(t).toMatchObject({ component: 'module:nvidia', mode: 'unsigned' });
    const s = await eventually('the reboot', () => show(node), (v) => v.state === 'Running' && v.bootCount === 2);
    expect(s.ready).toBe(true);
    const modules = await aksemu(['node', 'exec', node, ...dd(), '--', 'cat', '/proc/modules']);
    expect(modules.stdout).toContain('hv_netvsc');
    expect(modules.stdout).not.toContain('nvidia');
    expect((await aksemu(['node', 'exec', node, ...dd(), '--', 'cat', '/var/log/kern.log'])).stdout).toMatch(/nvidia: module verification failed \(unsigned: it is not signed\); loading of \/lib\/modules\/.*\/nvidia\.ko was rejected/);

    const low = (await alerts()).filter((a) => a.properties.compromisedEntity === node);
    expect(low).toHaveLength(1);
    expect(low[0]!.properties).toMatchObject({ alertDisplayName: 'Untrusted Linux kernel module', severity: 'Low' });
    expect(low[0]!.properties.extendedProperties['Failed components']).toMatch(/^GPU driver module nvidia .*\/updates\/dkms\/nvidia\.ko\)$/);
    // Modules are not part of the measured boot: the boot itself still attests healthy.
    expect(JSON.parse((await aksemu(['node', 'attest', node, ...dd()])).stdout).healthy).toBe(true);
  });

  it('tamper --no-reboot changes only the disk (the next boot sees it); --mode restore puts the signed file back', async () => {
    const node = byPool.nodepool1![0]!;
    const seq = async () => JSON.parse((await aksemu(['node', 'boot-log', node, '-o', 'json', ...dd()])).stdout);
    const before = (await seq()).boot.seq;
    const t = await aksemu(['node', 'tamper', node, '--component', 'initrd', '--mode', 'unsigned', '--no-reboot', ...dd()]);
    expect(JSON.parse(t.stdout)).toMatchObject({ component: 'initrd', mode: 'unsigned', rebooting: false });
    const after = await seq();
    expect(after.boot.seq).toBe(before);
    expect(after.state).toBe('Running');
    expect(after.tampers).toEqual([expect.objectContaining({ component: 'initrd', mode: 'unsigned' })]);
    const r = JSON.parse((await aksemu(['node', 'tamper', node, '--component', 'initrd', '--mode', 'restore', ...dd()])).stdout);
    expect(r).toMatchObject({ mode: 'restore', tampers: [], rebooting: true });
    const rebooted = await eventually('the reboot', seq, (v) => v.boot.seq === before + 1 && v.state === 'Running');
    expect(rebooted.boot.halted).toBeUndefined();
    expect(rebooted.attestation.healthy).toBe(true);
  });

  it('the alerts are Microsoft.Security alerts on ARM too (subscription and node resource group scopes)', async () => {
    const all = (await tb.a.call('GET', `/subscriptions/${tb.a.sub}/providers/Microsoft.Security/alerts`, undefined, '2022-01-01')).json().value;
    expect(all.length).toBe((await alerts()).length);
    const nodeRg = (await tb.a.call('GET', tb.a.cluster('rg', 'c1'))).json().properties.nodeResourceGroup;
    const scoped = await tb.a.call('GET', `/subscriptions/${tb.a.sub}/resourceGroups/${nodeRg}/providers/Microsoft.Security/alerts`, undefined, '2022-01-01');
    expect(scoped.json().value.length).toBe(all.length);
    expect(all[0].id).toMatch(new RegExp(`^/subscriptions/${tb.a.sub}/resourceGroups/${nodeRg}/providers/Microsoft.Security/locations/eastus/alerts/`));
    expect((await tb.a.call('GET', `/subscriptions/${tb.a.sub}/resourceGroups/rg/providers/Microsoft.Security/alerts`, undefined, '2022-01-01')).json().value).toEqual([]);
    expect((await tb.a.call('GET', `/subscriptions/${tb.a.sub}/providers/Microsoft.Security/alerts`, undefined, '2015-01-01')).status).toBe(400);
  });

  it('answers every bad request clearly', async () => {
    const sb = byPool.nodepool1![0]!;
    const cases: Array<[string, string, unknown, number, string]> = [
      ['POST', `/_aksemu/nodes/aks-nope-1-vmss000000/tamper`, { component: 'kernel' }, 404, 'NodeNotFound'],
      ['POST', `/_aksemu/nodes/${sb}/tamper`, { component: 'firmware' }, 400, 'InvalidComponent'],
      ['POST', `/_aksemu/nodes/${sb}/tamper`, { component: 'kernel', mode: 'melt' }, 400, 'InvalidTamperMode'],
      ['POST', `/_aksemu/nodes/${sb}/tamper`, {}, 400, 'InvalidParameter'],
      ['POST', `/_aksemu/nodes/${sb}/tamper`, { component: 'kernel', reboot: 'yes' }, 400, 'InvalidParameter'],
      ['POST', `/_aksemu/nodes/${sb}/tamper`, 'not json', 400, 'InvalidRequestContent'],
      ['POST', `/_aksemu/nodes/${sb}/quote`, { nonce: 'xyz' }, 400, 'InvalidParameter'],
      ['POST', `/_aksemu/nodes/${sb}/quote`, { nonce: 'aa'.repeat(65) }, 400, 'InvalidParameter'],
      ['POST', `/_aksemu/nodes/${sb}/quote`, { nonce: 'aa', pcrs: '0-30' }, 400, 'InvalidParameter'],
      ['POST', `/_aksemu/nodes/${byPool.gen1![0]}/quote`, { nonce: 'aa' }, 409, 'NotTrustedLaunchNode'],
      ['GET', `/_aksemu/nodes/${byPool.gen1![0]}/boot-log`, undefined, 409, 'NotTrustedLaunchNode'],
      ['POST', `/_aksemu/nodes/${byPool.gen1![0]}/tamper`, { component: 'kernel' }, 409, 'NotTrustedLaunchNode'],
    ];
    const before = await tb.emu.core.store.revision();
    for (const [method, path, body, status, code] of cases) {
      const r = await tb.api(method, path, body);
      expect(r.status, `${method} ${path} ${JSON.stringify(body)}: ${r.text}`).toBe(status);
      expect(r.json().error.code, path).toBe(code);
    }
    expect(await tb.emu.core.store.revision()).toBe(before);
    expect((await httpsCall(`${tb.emu.url}/_aksemu/alerts`)).status).toBe(401);
    const cli = await aksemu(['node', 'quote', sb, '--nonce', 'zz', '--out', '/tmp/never', ...dd()]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toMatch(/--nonce must be hex digits/);
    const missing = await aksemu(['node', 'attest', 'aks-nope-1-vmss000000', ...dd()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/\(NodeNotFound\) No node named/);
  });
});

describe('a restart keeps every vTPM and the PKI', () => {
  it('the same AK signs after a restart, the PCRs and boot records are kept, the node still attests healthy', async () => {
    let tb: TlTestbed | undefined = await tlTestbed();
    const dataDir = tb.emu.dataDir;
    try {
      expect((await tb.a.run('PUT', tb.a.cluster('rg', 'c1'), clusterBody({ pools: [linuxPool('nodepool1', { count: 1, securityProfile: TL_ON })] }))).status).toBe('Succeeded');
      const node = (await tb.api('GET', '/_aksemu/nodes')).json().value[0].name as string;
      const q1 = (await tb.api('POST', `/_aksemu/nodes/${node}/quote`, { nonce: '01' })).json();
      await tb.emu.close();
      tb = undefined;
      const emu = await startTestEmulator({ dataDir, now: new Date('2025-09-01T01:00:00Z') });
      try {
        const { getToken } = await import('../../testkit/http.js');
        const token = await getToken(emu.url, emu.env);
        const call = (method: string, path: string, body?: unknown) =>
          httpsCall(`${emu.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
        const q2 = (await call('POST', `/_aksemu/nodes/${node}/quote`, { nonce: '02' })).json();
        expect(q2.akCertificatePem).toBe(q1.akCertificatePem);
        expect(q2.pcrs).toEqual(q1.pcrs);
        const files = q2.files as Record<string, string>;
        const v = verifyQuote({
          akPublicKey: createPublicKey(Buffer.from(q1.files['ak.pem'], 'base64')),
          attest: Buffer.from(files['quote.msg']!, 'base64'),
          signature: Buffer.from(files['quote.sig']!, 'base64'),
          nonce: Buffer.from('02', 'hex'),
          eventLog: Buffer.from(files['eventlog.bin']!, 'base64'),
          pcrValues: decodeTpm2ToolsPcrs(Buffer.from(files['quote.pcrs']!, 'base64')),
        });
        expect(v.ok).toBe(true);
        expect((await call('POST', `/_aksemu/nodes/${node}/attest`)).json().healthy).toBe(true);
      } finally {
        await emu.close();
      }
    } finally {
      await tb?.emu.close();
      removeDataDir(dataDir);
    }
  });
});
