/**
 * `aksemu node show` and `aksemu node exec` (the built CLI, as a user runs it) against an instance with FIPS and
 * non-FIPS Linux nodes and a Windows FIPS node (SPEC C-9, F-1, F-7).
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, removeDataDir, startTestEmulator } from '../../testkit/emulator.js';
import { armClient, clusterBody, linuxPool } from '../../testkit/containerservice.js';

type Emu = Awaited<ReturnType<typeof startTestEmulator>>;

function aksemu(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...opts.env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(opts.input ?? '');
  });
}

describe('aksemu node show / exec', () => {
  let emu: Emu;
  let fipsNode: string;
  let plainNode: string;
  let winNode: string;
  const dd = () => ['--data-dir', emu.dataDir];

  beforeAll(async () => {
    emu = await startTestEmulator({ now: new Date('2025-09-01T00:00:00Z') });
    const a = await armClient(emu.url, emu.env);
    await a.call('PUT', `/subscriptions/${a.sub}/resourcegroups/rg`, { location: 'eastus' }, '2021-04-01');
    const r = await a.run(
      'PUT',
      a.cluster('rg', 'c1'),
      clusterBody({ pools: [linuxPool('nodepool1', { count: 1 }), linuxPool('fipsnp', { mode: 'User', count: 1, enableFIPS: true }), linuxPool('win', { mode: 'User', count: 1, osType: 'Windows', enableFIPS: true })] }),
    );
    expect(r.status, JSON.stringify(r.error)).toBe('Succeeded');
    const names = (await emu.core.store.range('/clusters/', { keysOnly: true })).items.map((k) => k.key.split('/').pop()!);
    fipsNode = names.find((n) => n.startsWith('aks-fipsnp-'))!;
    plainNode = names.find((n) => n.startsWith('aks-nodepool1-'))!;
    winNode = names.find((n) => n.startsWith('akswin'))!;
  });
  afterAll(async () => {
    await emu?.close();
    if (emu) removeDataDir(emu.dataDir);
  });

  it('exec cat /proc/sys/crypto/fips_enabled prints 1 on a FIPS node and 0 elsewhere', async () => {
    expect(await aksemu(['node', 'exec', fipsNode, ...dd(), '--', 'cat', '/proc/sys/crypto/fips_enabled'])).toEqual({ code: 0, stdout: '1\n', stderr: '' });
    expect((await aksemu(['node', 'exec', plainNode, ...dd(), '--', 'cat', '/proc/sys/crypto/fips_enabled'])).stdout).toBe('0\n');
  });

  it('finds the instance through AKSEMU_DATA_DIR too, and names the cluster when asked', async () => {
    const r = await aksemu(['node', 'exec', fipsNode, '--cluster-name', 'c1', '-g', 'rg', '--', 'uname', '-r'], { env: { AKSEMU_DATA_DIR: emu.dataDir } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/-azure-fips\n$/);
  });

  it('show prints the node as JSON: image, FIPS, labels and facts', async () => {
    const r = await aksemu(['node', 'show', fipsNode, ...dd()]);
    expect(r.code, r.stderr).toBe(0);
    const n = JSON.parse(r.stdout);
    expect(n).toMatchObject({ name: fipsNode, pool: 'fipsnp', state: 'Running', ready: true, fipsEnabled: true, cluster: { name: 'c1', resourceGroup: 'rg' } });
    expect(n.nodeImageVersion).toMatch(/^AKSUbuntu-2004gen2fipscontainerd-/);
    expect(n.labels['kubernetes.azure.com/fips_enabled']).toBe('true');
    expect(n.facts.fipsEnabledFile).toBe('1');
    // F-8: the documented limitations of FIPS nodes are reported.
    expect(n.knownLimitations.join(' ')).toMatch(/CIFS.*not assessed.*3\.1\.17/);
    expect(JSON.parse((await aksemu(['node', 'show', plainNode, ...dd()])).stdout).knownLimitations).toBeUndefined();
  });

  it('F-8: a CIFS mount fails on the FIPS node and works elsewhere', async () => {
    const args = ['--', 'mount', '-t', 'cifs', '//files.example/share', '/mnt/share', '-o', 'username=u,password=p'];
    const fips = await aksemu(['node', 'exec', fipsNode, ...dd(), ...args]);
    expect(fips.code).toBe(32);
    expect(fips.stderr).toMatch(/^mount error\(13\): Permission denied/);
    expect((await aksemu(['node', 'exec', plainNode, ...dd(), ...args])).code).toBe(0);
  });

  it('F-7: openssl MD4 fails on the FIPS node (exit code and stderr pass through); stdin is passed with --stdin', async () => {
    const md4 = await aksemu(['node', 'exec', fipsNode, ...dd(), '--', 'openssl', 'md4', '/etc/hostname']);
    expect(md4.code).toBe(1);
    expect(md4.stderr).toContain('disabled for FIPS');
    const sha = await aksemu(['node', 'exec', plainNode, '--stdin', ...dd(), '--', 'openssl', 'dgst', '-sha256'], { input: 'abc' });
    expect(sha.code, sha.stderr).toBe(0);
    expect(sha.stdout).toBe('SHA2-256(stdin)= ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n');
  });

  it('reads the Windows registry value FIPSAlgorithmPolicy\\Enabled', async () => {
    const r = await aksemu(['node', 'exec', winNode, ...dd(), '--', 'powershell', '-Command', 'Get-ItemPropertyValue -Path HKLM:\\System\\CurrentControlSet\\Control\\Lsa\\FipsAlgorithmPolicy -Name Enabled']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('1');
  });

  it('answers clearly for an unknown node, an unknown command and a missing instance', async () => {
    const nf = await aksemu(['node', 'show', 'aks-nope-00000000-vmss000000', ...dd()]);
    expect(nf.code).toBe(1);
    expect(nf.stderr).toContain('NodeNotFound');
    const cmd = await aksemu(['node', 'exec', plainNode, ...dd(), '--', 'frobnicate']);
    expect(cmd.code).toBe(127);
    expect(cmd.stderr).toBe('frobnicate: command not found\n');
    const none = await aksemu(['node', 'show', plainNode, '--data-dir', '/nonexistent-aksemu']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no aksemu instance');
  });
});
