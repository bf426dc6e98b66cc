/**
 * Acceptance (SPEC T-6), the other direction: a real software TPM (swtpm) replays an emulated node's event
 * log — every digest extended into its PCRs with tpm2_pcrextend — and quotes with an attestation key made in that
 * TPM. Our verifier accepts swtpm's quote with our log, the PCRs are identical to the emulated vTPM's, and swtpm's
 * PCR file (`tpm2_quote -o`) is byte for byte the one we export.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { verifyQuote } from '../../src/trustedlaunch/attestation.js';
import { parseLog } from '../../src/trustedlaunch/tcg-log.js';
import { decodeQuoteAttest, decodeTpm2ToolsPcrs, TPM_ALG } from '../../src/trustedlaunch/tpm2.js';
import { removeDataDir } from '../../testkit/emulator.js';
import { describeWith } from '../../testkit/optional.js';
import { clusterBody, linuxPool } from '../../testkit/containerservice.js';
import { TL_ON, tlTestbed, type TlTestbed } from './helpers.js';

const NONCE = '0badc0de5eed0001';
const TOOLS = ['swtpm', 'tpm2_createek', 'tpm2_createak', 'tpm2_pcrextend', 'tpm2_pcrread', 'tpm2_quote', 'tpm2_readpublic', 'tpm2_flushcontext'];

function listenable(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => {
      const got = (s.address() as { port: number }).port;
      s.close(() => resolve(got));
    });
  });
}

/** Two free consecutive ports: the swtpm TCTI finds the control channel at the data port + 1. */
async function freePortPair(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = await listenable(0);
    if (p && p < 65535 && (await listenable(p + 1))) return p;
  }
  throw new Error('no two consecutive free ports');
}

describeWith(TOOLS, 'swtpm replays an emulated boot and its quote verifies with our verifier', () => {
  let tb: TlTestbed;
  let dir: string;
  let swtpm: ChildProcess | undefined;
  let tcti: string;
  let log: Buffer;
  let nodePcrs: Record<string, string>;
  let exportedPcrsFile: Buffer;
  const f = (n: string) => join(dir, n);
  const tool = (cmd: string, args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(cmd, args, { env: { ...process.env, TPM2TOOLS_TCTI: tcti }, cwd: dir }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
    });
  const must = async (cmd: string, args: string[]) => {
    const r = await tool(cmd, args);
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    // No resource manager in front of swtpm: free transient objects and sessions after each command.
    await tool('tpm2_flushcontext', ['-t']);
    await tool('tpm2_flushcontext', ['-s']);
    return r;
  };

  beforeAll(async () => {
    tb = await tlTestbed();
    const r = await tb.a.run('PUT', tb.a.cluster('rg', 'tl'), clusterBody({ pools: [linuxPool('nodepool1', { count: 1, securityProfile: TL_ON })] }));
    expect(r.status, JSON.stringify(r.error)).toBe('Succeeded');
    const node = (await tb.api('GET', '/_aksemu/nodes')).json().value[0].name as string;
    nodePcrs = (await tb.api('GET', `/_aksemu/nodes/${node}/boot-log`)).json().pcrs;
    const q = (await tb.api('POST', `/_aksemu/nodes/${node}/quote`, { nonce: NONCE })).json();
    log = Buffer.from(q.files['eventlog.bin'], 'base64');
    exportedPcrsFile = Buffer.from(q.files['quote.pcrs'], 'base64');

    dir = mkdtempSync(join(tmpdir(), 'aksemu-swtpm-'));
    const port = await freePortPair();
    const ctrl = port + 1;
    tcti = `swtpm:host=127.0.0.1,port=${port}`;
    swtpm = spawn('swtpm', ['socket', '--tpm2', '--server', `type=tcp,port=${port}`, '--ctrl', `type=tcp,port=${ctrl}`, '--tpmstate', `dir=${dir}`, '--flags', 'not-need-init,startup-clear'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if ((await tool('tpm2_pcrread', ['sha256:0'])).code === 0) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    await must('tpm2_createek', ['-c', f('ek.ctx'), '-G', 'ecc', '-u', f('ek.pub')]);
    // The replay: every measurement of the emulated boot, extended in order into the software TPM.
    const events = parseLog(log);
    await must('tpm2_pcrextend', events.map((e) => `${e.pcr}:sha256=${e.digest.toString('hex')}`));
  });

  afterAll(async () => {
    if (swtpm && swtpm.exitCode === null) swtpm.kill('SIGTERM');
    await tb?.emu.close();
    if (tb) removeDataDir(tb.emu.dataDir);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("swtpm's PCRs after the replay are the emulated vTPM's PCRs", async () => {
    const out = (await must('tpm2_pcrread', ['sha256:0,1,2,3,4,5,6,7,8,9,14'])).stdout;
    const swPcrs: Record<string, string> = {};
    for (const m of out.matchAll(/^\s+(\d+)\s*:\s*0x([0-9A-F]{64})$/gm)) swPcrs[m[1]!] = m[2]!.toLowerCase();
    expect(Object.keys(swPcrs).length).toBe(11);
    expect(swPcrs).toEqual(Object.fromEntries(Object.keys(swPcrs).map((k) => [k, nodePcrs[k]])));
  });

  for (const [alg, scheme] of [['ecc', 'ecdsa'], ['rsa', 'rsassa']] as const) {
    it(`a quote by an ${alg.toUpperCase()} attestation key made in swtpm verifies with our verifier over our event log`, async () => {
      const p = (n: string) => f(`${alg}-${n}`);
      await must('tpm2_createak', ['-C', f('ek.ctx'), '-c', p('ak.ctx'), '-G', alg, '-g', 'sha256', '-s', scheme, '-u', p('ak.pub'), '-n', p('ak.name')]);
      await must('tpm2_readpublic', ['-c', p('ak.ctx'), '-f', 'pem', '-o', p('ak.pem')]);
      await must('tpm2_quote', ['-c', p('ak.ctx'), '-l', 'sha256:0,1,2,3,4,5,6,7', '-q', NONCE, '-m', p('quote.msg'), '-s', p('quote.sig'), '-o', p('quote.pcrs'), '-g', 'sha256']);
      const evidence = {
        akPublicKey: createPublicKey(readFileSync(p('ak.pem'))),
        attest: readFileSync(p('quote.msg')),
        signature: readFileSync(p('quote.sig')),
        nonce: Buffer.from(NONCE, 'hex'),
        eventLog: log,
        pcrValues: decodeTpm2ToolsPcrs(readFileSync(p('quote.pcrs'))),
      };
      const v = verifyQuote(evidence);
      expect(v.checks.map((c) => [c.check, c.ok])).toEqual([
        ['signature', true],
        ['structure', true],
        ['nonce', true],
        ['pcr-digest', true],
        ['event-log', true],
      ]);
      expect(v.checks[0]!.detail).toContain(scheme === 'ecdsa' ? 'ECDSA' : 'RSASSA');
      // Identical PCR values: the replayed log and swtpm's quote agree with the emulated node.
      expect(v.pcrs).toEqual(Object.fromEntries([0, 1, 2, 3, 4, 5, 6, 7].map((i) => [i, nodePcrs[i]])));
      // swtpm's TPMS_ATTEST as our decoder reads it.
      const q = decodeQuoteAttest(evidence.attest);
      expect(q.extraData.toString('hex')).toBe(NONCE);
      expect(q.pcrSelect).toEqual([{ hash: TPM_ALG.SHA256, pcrs: [0, 1, 2, 3, 4, 5, 6, 7] }]);
      // tpm2_quote -o writes exactly the PCR file we export for the same selection.
      expect(readFileSync(p('quote.pcrs')).equals(exportedPcrsFile)).toBe(true);
      // And our verifier refuses what it must.
      expect(verifyQuote({ ...evidence, nonce: Buffer.from('0badc0de5eed0002', 'hex') }).ok).toBe(false);
      const lying = Buffer.from(log);
      const grub = parseLog(log).filter((e) => e.pcr === 4 && e.type === 0x80000003)[1]!;
      lying[lying.indexOf(grub.digest)]! ^= 0xff;
      writeFileSync(p('lying.bin'), lying);
      const bad = verifyQuote({ ...evidence, eventLog: lying });
      expect(bad.ok).toBe(false);
      expect(bad.checks.at(-1)).toMatchObject({ check: 'event-log', ok: false, detail: expect.stringContaining('PCR 4') });
    });
  }
});
