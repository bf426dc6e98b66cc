/**
 * SPEC T-5 (Secure Boot) and the measured boot behind T-6, on the mechanics themselves: the instance's PKI (PK
 * authorizes KEK, KEK authorizes db; private keys sealed), real CMS signatures on every boot component (verified by
 * openssl), the verdict for each kind of tampering, halting at the first failing component in boot order, kernel
 * modules blocked while the node stays up, and what a boot without Secure Boot measures instead.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageByName, type NodeImage } from '../../src/fleet/catalog/node-images.js';
import { Sealer } from '../../src/secrets/sealer.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { ATTESTED_PCRS, compareToBaseline } from '../../src/trustedlaunch/attestation.js';
import { applyTampers, imageComponents, type BootComponent, type TamperMode } from '../../src/trustedlaunch/components.js';
import { measuredBoot } from '../../src/trustedlaunch/measured-boot.js';
import { PKI_KEY, TrustedLaunchPki } from '../../src/trustedlaunch/pki.js';
import { firmwareTrust, shimTrust, verifyFile } from '../../src/trustedlaunch/secure-boot.js';
import { splitSignedFile } from '../../src/trustedlaunch/signing.js';
import { EV, replay } from '../../src/trustedlaunch/tcg-log.js';
import { describeWith } from '../../testkit/optional.js';

let dir: string;
let store: Store;
let sealer: Sealer;
let pki: TrustedLaunchPki;
let ubuntu: NodeImage;
let components: BootComponent[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aksemu-sb-'));
  store = await openStore('sqlite', dir);
  sealer = new Sealer(randomBytes(32));
  pki = await TrustedLaunchPki.loadOrCreate(store, sealer);
  ubuntu = imageByName('AKSUbuntu-2204gen2TLcontainerd-202502.03.0')!;
  components = imageComponents(pki, ubuntu, { gpuDriverInstalled: false }, 'secure-boot-test');
});
afterAll(async () => {
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const boot = (secureBoot: boolean, tampers: Array<{ component: string; mode: TamperMode }> = [], gpu = false) =>
  measuredBoot({
    image: ubuntu,
    secureBoot,
    components: applyTampers(pki, gpu ? imageComponents(pki, ubuntu, { gpuDriverInstalled: true }, 'secure-boot-test') : components, tampers.map((t) => ({ ...t, at: '' })), ubuntu.kernel),
    kernelArgs: 'root=PARTUUID=x ro',
    pki,
  });

describe('the Secure Boot PKI', () => {
  it('PK authorizes KEK and KEK authorizes db; distributions sign with their own CA (X.509 chains)', () => {
    const pk = pki.get('pk').cert;
    const kek = pki.get('kek').cert;
    const db = pki.get('uefiCa').cert;
    expect(pk.verify(pk.publicKey)).toBe(true);
    expect(kek.checkIssued(pk) && kek.verify(pk.publicKey)).toBe(true);
    expect(db.checkIssued(kek) && db.verify(kek.publicKey)).toBe(true);
    expect(db.subject).toContain('CN=Microsoft Corporation UEFI CA 2011');
    expect(pki.get('canonicalSigning').cert.verify(pki.get('canonicalCa').cert.publicKey)).toBe(true);
    expect(pki.get('canonicalSigning').cert.verify(pki.get('uefiCa').cert.publicKey)).toBe(false);
  });

  it('is kept in the store with its private keys sealed, and loads back identical', async () => {
    const raw = (await store.get(PKI_KEY))!.value;
    const kekKey = pki.get('kek').key.export({ format: 'der', type: 'pkcs8' });
    expect(raw.includes(kekKey.subarray(30, 90))).toBe(false);
    expect(raw.includes(Buffer.from(kekKey.subarray(30, 90)).toString('base64'))).toBe(false);
    expect(raw.toString()).not.toContain('PRIVATE KEY');
    const again = await TrustedLaunchPki.loadOrCreate(store, sealer);
    expect(again.get('kek').der.equals(pki.get('kek').der)).toBe(true);
    expect(again.get('kek').key.export({ format: 'der', type: 'pkcs8' }).equals(kekKey)).toBe(true);
    // With another master key the sealed keys do not open.
    await expect(TrustedLaunchPki.loadOrCreate(store, new Sealer(randomBytes(32)))).rejects.toThrow();
  });

  it('components are deterministic: the same image has the same signed bytes (so baselines are stable)', () => {
    const again = imageComponents(pki, ubuntu, { gpuDriverInstalled: false }, 'another-cache-key');
    expect(again.map((c) => c.file.toString('base64'))).toEqual(components.map((c) => c.file.toString('base64')));
  });
});

describeWith(['openssl'], 'component signatures are real CMS signatures', () => {
  const run = (args: string[]) => new Promise<{ code: number; stderr: string }>((resolve) => execFile('openssl', args, (err, _o, stderr) => resolve({ code: err ? 1 : 0, stderr })));
  const verifyWithOpenssl = async (c: BootComponent, caId: 'uefiCa' | 'canonicalCa') => {
    const { content, cms } = splitSignedFile(c.file);
    const d = mkdtempSync(join(tmpdir(), 'aksemu-cms-'));
    try {
      writeFileSync(join(d, 'content'), content);
      writeFileSync(join(d, 'sig.der'), cms!);
      // db's certificate chains up to PK (the authorization chain); the distribution CA is a root of its own.
      writeFileSync(join(d, 'ca.pem'), caId === 'uefiCa' ? pki.get('uefiCa').pem + pki.get('kek').pem + pki.get('pk').pem : pki.get(caId).pem);
      return await run(['cms', '-verify', '-inform', 'DER', '-in', join(d, 'sig.der'), '-binary', '-content', join(d, 'content'), '-CAfile', join(d, 'ca.pem'), '-purpose', 'any', '-out', '/dev/null']);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  };
  it('openssl cms verifies shim against db and grub, kernel, initrd and modules against the vendor certificate', async () => {
    for (const c of components) {
      const r = await verifyWithOpenssl(c, c.id === 'shim' ? 'uefiCa' : 'canonicalCa');
      expect(r.code, `${c.id}: ${r.stderr}`).toBe(0);
    }
  });
  it('openssl cms rejects a modified kernel and one signed by an untrusted key', async () => {
    for (const mode of ['modify', 'untrusted-key'] as const) {
      const k = applyTampers(pki, components, [{ component: 'kernel', mode, at: '' }], ubuntu.kernel).find((c) => c.id === 'kernel')!;
      expect((await verifyWithOpenssl(k, 'canonicalCa')).code, mode).not.toBe(0);
    }
  });
});

describe('verdicts: every kind of tampering of every boot component', () => {
  const CASES: Array<{ component: string; mode: TamperMode; reason: string; detail: RegExp }> = [
    { component: 'shim', mode: 'modify', reason: 'bad-signature', detail: /changed after it was signed/ },
    { component: 'shim', mode: 'unsigned', reason: 'unsigned', detail: /not signed/ },
    { component: 'shim', mode: 'untrusted-key', reason: 'untrusted', detail: /'Untrusted Publisher'.*\(db\)/ },
    { component: 'bootloader', mode: 'revoked-key', reason: 'revoked', detail: /'Canonical Ltd\. Secure Boot Signing \(2017\)' is revoked \(listed in dbx\)/ },
    { component: 'bootloader', mode: 'untrusted-key', reason: 'untrusted', detail: /shim vendor certificate/ },
    { component: 'kernel', mode: 'modify', reason: 'bad-signature', detail: /changed after it was signed/ },
    { component: 'kernel', mode: 'untrusted-key', reason: 'untrusted', detail: /Untrusted Publisher/ },
    { component: 'initrd', mode: 'unsigned', reason: 'unsigned', detail: /not signed/ },
  ];
  for (const c of CASES) {
    it(`${c.component} (${c.mode}): the boot halts there with '${c.reason}', the node never starts`, () => {
      const r = boot(true, [{ component: c.component, mode: c.mode }]);
      expect(r.halted).toMatchObject({ component: c.component, reason: c.reason });
      expect(r.halted!.detail).toMatch(c.detail);
      // Nothing after the failing component ran: no later step, no ExitBootServices, no kernel messages.
      expect(r.steps.at(-1)!.component).toBe(c.component);
      expect(r.steps.at(-1)!.verification).toBe('failed');
      expect(r.events.some((e) => e.type === EV.EFI_ACTION && e.data.toString() === 'Exit Boot Services Invocation')).toBe(false);
      expect(r.serial.at(-1)).toMatch(new RegExp(`^Boot halted at ${c.component === 'bootloader' ? 'boot loader' : c.component}`));
      expect(r.modules).toEqual([]);
    });
  }

  it('halts at the first failure in boot order (shim before kernel)', () => {
    const r = boot(true, [{ component: 'kernel', mode: 'modify' }, { component: 'shim', mode: 'unsigned' }]);
    expect(r.halted!.component).toBe('shim');
    expect(r.serial.join('\n')).toContain('BdsDxe: failed to load Boot0001');
  });

  it('an image hash listed in dbx is revoked even with a valid signature', () => {
    const grub = components.find((c) => c.id === 'bootloader')!;
    const trust = shimTrust(pki, 'canonicalCa');
    expect(verifyFile(grub.file, trust).ok).toBe(true);
    const { content } = splitSignedFile(grub.file);
    const digest = createHash('sha256').update(content).digest();
    expect(verifyFile(grub.file, { ...trust, name: 'with a revoked grub', dbxHashes: [digest] })).toMatchObject({ ok: false, reason: 'revoked', detail: expect.stringContaining('image hash') });
    // Firmware alone (db, no vendor certificate) does not trust what the distribution signed.
    expect(verifyFile(grub.file, firmwareTrust(pki))).toMatchObject({ ok: false, reason: 'untrusted' });
  });

  it('a clean boot verifies every stage and logs the authorities it used (PCR7)', () => {
    const r = boot(true);
    expect(r.halted).toBeUndefined();
    expect(r.steps.map((s) => [s.component, s.verification])).toEqual([
      ['shim', 'verified'],
      ['bootloader', 'verified'],
      ['kernel', 'verified'],
      ['initrd', 'verified'],
    ]);
    expect(r.events.filter((e) => e.pcr === 7 && e.type === EV.EFI_VARIABLE_AUTHORITY)).toHaveLength(2);
    expect(r.modules.every((m) => m.loaded && !m.failure)).toBe(true);
    expect(replay(r.events).map((p) => p.toString('hex'))).toEqual(r.pcrs.map((p) => p.toString('hex')));
  });
});

describe('kernel modules', () => {
  it('with Secure Boot an unsigned GPU driver is blocked and the node still comes up', () => {
    const r = boot(true, [], true);
    expect(r.halted).toBeUndefined();
    const nvidia = r.modules.find((m) => m.name === 'nvidia')!;
    expect(nvidia).toMatchObject({ loaded: false, failure: { reason: 'unsigned' } });
    expect(r.modules.filter((m) => m.name !== 'nvidia').every((m) => m.loaded)).toBe(true);
    expect(r.serial.join('\n')).toMatch(/nvidia: module verification failed .* was rejected/);
    expect(r.serial.at(-1)).toMatch(/kubelet started/);
  });
  it('a module signed by an untrusted key is blocked too', () => {
    const r = boot(true, [{ component: 'module:overlay', mode: 'untrusted-key' }]);
    expect(r.modules.find((m) => m.name === 'overlay')).toMatchObject({ loaded: false, failure: { reason: 'untrusted' } });
  });
  it('without Secure Boot the unsigned driver loads and taints the kernel', () => {
    const r = boot(false, [], true);
    expect(r.modules.find((m) => m.name === 'nvidia')).toMatchObject({ loaded: true, failure: { reason: 'unsigned' } });
    expect(r.serial.join('\n')).toContain('tainting kernel');
  });
});

describe('without Secure Boot tampered components run, but the measurements show them', () => {
  const baseline = () => boot(false).events;
  for (const [component, label] of [
    ['bootloader', /^boot loader \(\\EFI\\ubuntu\\grubx64\.efi\)$/],
    ['kernel', /^kernel \(\/boot\/vmlinuz-/],
    ['shim', /^shim \(\\EFI\\ubuntu\\shimx64\.efi\)$/],
  ] as const) {
    it(`a tampered ${component} boots and deviates from the baseline in PCR4, naming it`, () => {
      const r = boot(false, [{ component, mode: 'untrusted-key' }]);
      expect(r.halted).toBeUndefined();
      const dev = compareToBaseline(r.events, baseline(), ATTESTED_PCRS);
      expect(dev).toHaveLength(1);
      expect(dev[0]).toMatchObject({ pcr: 4, kind: 'changed' });
      expect(dev[0]!.component).toMatch(label);
    });
  }
  it('Secure Boot off is visible in PCR7 (SecureBoot = 0, no authorities)', () => {
    const on = boot(true).events.filter((e) => e.pcr === 7);
    const off = baseline().filter((e) => e.pcr === 7);
    expect(off.some((e) => e.type === EV.EFI_VARIABLE_AUTHORITY)).toBe(false);
    expect(compareToBaseline(off, on, [7]).map((d) => d.component)).toContain('Secure Boot variable SecureBoot');
  });
});
