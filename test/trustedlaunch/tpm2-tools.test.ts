/**
 * Acceptance (SPEC T-6): what `aksemu node quote` exports from an emulated node is read by the real
 * tpm2-tools 5.4 — `tpm2_checkquote` accepts quote + event log and rejects a wrong nonce and tampered logs,
 * `tpm2_eventlog` parses the log without warnings — and openssl verifies the AK certificate chain.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyQuote } from '../../src/trustedlaunch/attestation.js';
import { parseLog } from '../../src/trustedlaunch/tcg-log.js';
import { decodeTpm2ToolsPcrs } from '../../src/trustedlaunch/tpm2.js';
import { createPublicKey } from 'node:crypto';
import { removeDataDir } from '../../testkit/emulator.js';
import { describeWith } from '../../testkit/optional.js';
import { clusterBody, linuxPool } from '../../testkit/containerservice.js';
import { aksemu, TL_ON, tlTestbed, type TlTestbed } from './helpers.js';

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

/** The PCR values a tool printed as "  N : 0xHEX" lines. */
function printedPcrs(out: string): Record<number, string> {
  const pcrs: Record<number, string> = {};
  for (const m of out.matchAll(/^\s+(\d+)\s*:\s*0x([0-9A-Fa-f]{64})$/gm)) pcrs[Number(m[1])] = m[2]!.toLowerCase();
  return pcrs;
}

const NONCE = '5eed1e55c0ffee0123456789abcdef01';

let tb: TlTestbed;
let dir: string;
let node: string;
let vtpmOnlyNode: string;
let bootPcrs: Record<string, string>;
const f = (name: string, d = dir) => join(d, name);
const checkquote = (d: string, nonce = NONCE, log = f('eventlog.bin', d)) =>
  run('tpm2_checkquote', ['-u', f('ak.pem', d), '-m', f('quote.msg', d), '-s', f('quote.sig', d), '-f', f('quote.pcrs', d), '-g', 'sha256', '-q', nonce, '-e', log]);

beforeAll(async () => {
  tb = await tlTestbed();
  const r = await tb.a.run('PUT', tb.a.cluster('rg', 'tl'), clusterBody({ pools: [linuxPool('nodepool1', { count: 1, securityProfile: TL_ON }), linuxPool('vtpm', { mode: 'User', count: 1, securityProfile: { enableVTPM: true } })] }));
  expect(r.status, JSON.stringify(r.error)).toBe('Succeeded');
  const nodes = (await tb.api('GET', '/_aksemu/nodes')).json().value as Array<{ name: string; pool: string }>;
  node = nodes.find((n) => n.pool === 'nodepool1')!.name;
  vtpmOnlyNode = nodes.find((n) => n.pool === 'vtpm')!.name;
  bootPcrs = (await tb.api('GET', `/_aksemu/nodes/${node}/boot-log`)).json().pcrs;
  dir = mkdtempSync(join(tmpdir(), 'aksemu-quote-'));
  const q = await aksemu(['node', 'quote', node, '--nonce', NONCE, '--out', dir, '--data-dir', tb.emu.dataDir]);
  expect(q.code, q.stderr).toBe(0);
  expect(q.stdout).toContain(`tpm2_checkquote -u ${f('ak.pem')}`);
});

afterAll(async () => {
  await tb?.emu.close();
  if (tb) removeDataDir(tb.emu.dataDir);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describeWith(['tpm2_checkquote', 'tpm2_eventlog'], 'tpm2-tools read the quotes and event logs of emulated nodes', () => {
  it('tpm2_checkquote accepts the exported quote and event log; the PCRs it prints are the node\'s', async () => {
    const r = await checkquote(dir);
    expect(r.code, r.stderr).toBe(0);
    const printed = printedPcrs(r.stdout);
    expect(Object.keys(printed).map(Number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const [pcr, value] of Object.entries(printed)) expect(value, `PCR${pcr}`).toBe(bootPcrs[pcr]);
  });

  it('rejects a wrong nonce', async () => {
    const r = await checkquote(dir, NONCE.replace(/.$/, '2'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/nonce/i);
  });

  it('rejects a tampered event log: a changed digest of a quoted PCR (the shim measurement in PCR4)', async () => {
    const log = Buffer.from(readFileSync(f('eventlog.bin')));
    const shim = parseLog(log).find((e) => e.pcr === 4 && e.type === 0x80000003)!;
    const at = log.indexOf(shim.digest);
    expect(at).toBeGreaterThan(0);
    log[at]! ^= 0x01;
    writeFileSync(f('tampered.bin'), log);
    const r = await checkquote(dir, NONCE, f('tampered.bin'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/PCR4 mismatch/);
  });

  it("rejects another boot's event log (a node without Secure Boot: PCR7 differs)", async () => {
    const other = mkdtempSync(join(tmpdir(), 'aksemu-quote-'));
    try {
      expect((await aksemu(['node', 'quote', vtpmOnlyNode, '--nonce', NONCE, '--out', other, '--data-dir', tb.emu.dataDir])).code).toBe(0);
      expect((await checkquote(other)).code).toBe(0);
      const r = await checkquote(dir, NONCE, f('eventlog.bin', other));
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/PCR7 mismatch/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('rejects a quote changed after it was signed', async () => {
    const d = mkdtempSync(join(tmpdir(), 'aksemu-quote-'));
    try {
      for (const name of ['ak.pem', 'quote.sig', 'quote.pcrs', 'eventlog.bin']) writeFileSync(f(name, d), readFileSync(f(name)));
      const msg = Buffer.from(readFileSync(f('quote.msg')));
      msg[msg.length - 1]! ^= 0x80; // the last byte of pcrDigest
      writeFileSync(f('quote.msg', d), msg);
      const r = await checkquote(d);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/signature|validating signed message/i);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('accepts quotes of 8 or more PCRs in two digest lists (0-9,14: the tpm2-tools 5.4 PCR file form)', async () => {
    const d = mkdtempSync(join(tmpdir(), 'aksemu-quote-'));
    try {
      expect((await aksemu(['node', 'quote', node, '--nonce', NONCE, '--pcrs', '0-9,14', '--out', d, '--data-dir', tb.emu.dataDir])).code).toBe(0);
      const r = await checkquote(d);
      expect(r.code, r.stderr).toBe(0);
      expect(Object.keys(printedPcrs(r.stdout)).map(Number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14]);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('tpm2_eventlog parses the log without warnings (log versions 1 and 2) and replays it to the node\'s PCRs', async () => {
    for (const version of ['1', '2']) {
      const r = await run('tpm2_eventlog', ['--eventlog-version', version, f('eventlog.bin')]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr, `eventlog version ${version}`).toBe('');
      const printed = printedPcrs(r.stdout);
      expect(Object.keys(printed).map(Number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14]);
      for (const [pcr, value] of Object.entries(printed)) expect(value, `PCR${pcr}`).toBe(bootPcrs[pcr]);
    }
    // Version 2 decodes the UEFI structures: the Secure Boot state, the db certificate and the boot entry.
    const v2 = (await run('tpm2_eventlog', ['--eventlog-version', '2', f('eventlog.bin')])).stdout;
    expect(v2).toMatch(/UnicodeName: SecureBoot\n\s+VariableData:\n\s+Enabled: 'Yes'/);
    expect(v2).toMatch(/UnicodeName: Boot0001\n\s+VariableData:\n\s+Enabled: 'Yes'/);
    expect(v2).toContain('Signature: "EFI PART"');
    expect(v2).toContain('kernel_cmdline: /boot/vmlinuz-');
  });

  it('tpm2_eventlog really checks payloads: a changed grub command line in the log is reported', async () => {
    const log = Buffer.from(readFileSync(f('eventlog.bin')));
    const at = log.indexOf(Buffer.from('grub_cmd: set root='));
    log[at + 'grub_cmd: set root='.length]! ^= 0x01;
    writeFileSync(f('payload.bin'), log);
    const r = await run('tpm2_eventlog', [f('payload.bin')]);
    expect(r.stderr).toMatch(/digest does not match its payload/);
  });

  it('our verifier agrees with tpm2_checkquote on the same files', () => {
    const ev = {
      akPublicKey: createPublicKey(readFileSync(f('ak.pem'))),
      attest: readFileSync(f('quote.msg')),
      signature: readFileSync(f('quote.sig')),
      nonce: Buffer.from(NONCE, 'hex'),
      pcrValues: decodeTpm2ToolsPcrs(readFileSync(f('quote.pcrs'))),
    };
    expect(verifyQuote({ ...ev, eventLog: readFileSync(f('eventlog.bin')) }).ok).toBe(true);
    expect(verifyQuote({ ...ev, eventLog: readFileSync(f('tampered.bin')) }).checks.at(-1)).toMatchObject({ check: 'event-log', ok: false });
    expect(verifyQuote({ ...ev, nonce: Buffer.from(NONCE.replace(/.$/, '2'), 'hex') }).checks.at(-1)).toMatchObject({ check: 'nonce', ok: false });
  });
});

describeWith(['openssl'], 'the attestation key certificate', () => {
  it('chains to the virtual TPM root (openssl verify), names the VM and is an AIK certificate', async () => {
    const chain = readFileSync(f('ca-chain.pem'), 'utf8');
    const [ca, root] = chain.split(/(?<=-----END CERTIFICATE-----\n)/);
    writeFileSync(f('root.pem'), root!);
    writeFileSync(f('ca.pem'), ca!);
    const r = await run('openssl', ['verify', '-CAfile', f('root.pem'), '-untrusted', f('ca.pem'), f('ak.crt')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(': OK');
    const text = (await run('openssl', ['x509', '-in', f('ak.crt'), '-noout', '-subject', '-issuer', '-ext', 'extendedKeyUsage'])).stdout;
    const vmId = (await tb.api('GET', `/_aksemu/nodes/${node}/boot-log`)).json().vmId;
    expect(text).toContain(`CN = ${vmId}`);
    expect(text).toContain('aksemu Global Virtual TPM CA - 01');
    expect(text).toContain('2.23.133.8.3');
    // The certified key is the quote's key.
    const pub = (await run('openssl', ['x509', '-in', f('ak.crt'), '-noout', '-pubkey'])).stdout;
    expect(pub.trim()).toBe(readFileSync(f('ak.pem'), 'utf8').trim());
  });
});
