/**
 * Remote attestation (SPEC T-6), in the order a verifier must go (reference/TRUSTED-LAUNCH.md):
 *
 *   1. the quote's signature, by the attestation key, over SHA-256(TPMS_ATTEST)
 *   2. the structure: magic TPM_GENERATED_VALUE and type TPM_ST_ATTEST_QUOTE
 *   3. the nonce: extraData is the caller's nonce (freshness)
 *   4. the PCR digest: SHA-256 of the selected PCR values equals the quote's pcrDigest
 *   5. the event log: replaying it reproduces exactly those PCR values
 *   6. policy: the replayed events match the node image's trusted baseline, Secure Boot is on
 *
 * Steps 1–5 are `verifyQuote` (they work for any TPM's quote: the tests feed it quotes made by swtpm). The
 * attestation service (`AttestationService`) adds the AK certificate chain (the quote comes from this VM's vTPM),
 * derives the Trusted Launch claims from the verified log and issues an MAA-style RS256 JWT. Step 6 is the health
 * judgement of the guest attestation extension and Defender for Cloud (`compareToBaseline`).
 */
import { createHash, randomUUID, verify as cryptoVerify, X509Certificate, type KeyObject } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import { guidString } from './efi.js';
import type { TrustedLaunchPki } from './pki.js';
import { secureBootVariables } from './secure-boot.js';
import { EV, eventTypeName, parseLog, replay, type LogEvent } from './tcg-log.js';
import { decodeQuoteAttest, decodeSignature, pcrDigest, TPM_ALG, type QuoteAttest } from './tpm2.js';

export interface QuoteEvidence {
  akPublicKey: KeyObject;
  attest: Buffer;
  signature: Buffer;
  nonce: Buffer;
  eventLog?: Buffer;
  /** PCR values that came with the quote (a tpm2-tools PCR file), checked against the digest and the log. */
  pcrValues?: { pcrs: number[]; values: Buffer[] };
}

export interface Check {
  check: 'signature' | 'structure' | 'nonce' | 'pcr-digest' | 'event-log' | 'ak-certificate' | 'vm-identity';
  ok: boolean;
  detail: string;
}

export interface QuoteVerification {
  ok: boolean;
  checks: Check[];
  quote?: QuoteAttest;
  /** Selected PCRs → value (hex), from the replayed log when there is one. */
  pcrs?: Record<number, string>;
  events?: LogEvent[];
}

const HASH_NAMES: Record<number, string> = { [TPM_ALG.SHA1]: 'sha1', [TPM_ALG.SHA256]: 'sha256', [TPM_ALG.SHA384]: 'sha384', [TPM_ALG.SHA512]: 'sha512' };

function verifyTpmSignature(key: KeyObject, attest: Buffer, sigBytes: Buffer): Check {
  let sig;
  try {
    sig = decodeSignature(sigBytes);
  } catch (err) {
    return { check: 'signature', ok: false, detail: `the signature is not a TPMT_SIGNATURE: ${(err as Error).message}` };
  }
  const hash = HASH_NAMES[sig.hash];
  if (!hash) return { check: 'signature', ok: false, detail: `unsupported signature hash 0x${sig.hash.toString(16)}` };
  let ok = false;
  try {
    if (sig.sigAlg === TPM_ALG.ECDSA) {
      if (key.asymmetricKeyType !== 'ec') return { check: 'signature', ok: false, detail: 'an ECDSA signature needs an EC attestation key' };
      const size = Math.ceil(Number(/P-(\d+)/.exec(String(key.export({ format: 'jwk' }).crv))?.[1] ?? 256) / 8);
      const pad = (b: Buffer) => (b.length >= size ? b.subarray(b.length - size) : Buffer.concat([Buffer.alloc(size - b.length), b]));
      ok = cryptoVerify(hash, attest, { key, dsaEncoding: 'ieee-p1363' }, Buffer.concat([pad(sig.r), pad(sig.s)]));
    } else {
      if (key.asymmetricKeyType !== 'rsa') return { check: 'signature', ok: false, detail: 'an RSASSA signature needs an RSA attestation key' };
      ok = cryptoVerify(hash, attest, key, sig.sig);
    }
  } catch (err) {
    return { check: 'signature', ok: false, detail: `the signature could not be checked: ${(err as Error).message}` };
  }
  return ok
    ? { check: 'signature', ok: true, detail: `${sig.sigAlg === TPM_ALG.ECDSA ? 'ECDSA' : 'RSASSA'}/${hash.toUpperCase()} signature by the attestation key over SHA-256(TPMS_ATTEST)` }
    : { check: 'signature', ok: false, detail: 'the quote was not signed by this attestation key (or was changed after signing)' };
}

/** Steps 1–5 for any TPM 2.0 quote. Stops at the first failing step (later ones would be meaningless). */
export function verifyQuote(ev: QuoteEvidence): QuoteVerification {
  const checks: Check[] = [];
  const fail = (c: Check, extra: Partial<QuoteVerification> = {}): QuoteVerification => ({ ok: false, checks: [...checks, c], ...extra });
  const sig = verifyTpmSignature(ev.akPublicKey, ev.attest, ev.signature);
  if (!sig.ok) return fail(sig);
  checks.push(sig);
  let q: QuoteAttest;
  try {
    q = decodeQuoteAttest(ev.attest);
  } catch (err) {
    return fail({ check: 'structure', ok: false, detail: (err as Error).message });
  }
  checks.push({ check: 'structure', ok: true, detail: 'TPM_GENERATED_VALUE, TPM_ST_ATTEST_QUOTE' });
  if (!q.extraData.equals(ev.nonce)) {
    return fail({ check: 'nonce', ok: false, detail: `the quote's nonce ${q.extraData.toString('hex')} is not the expected ${ev.nonce.toString('hex')} (a replayed or foreign quote)` }, { quote: q });
  }
  checks.push({ check: 'nonce', ok: true, detail: `extraData is the nonce ${ev.nonce.toString('hex')}` });
  const bank = q.pcrSelect.find((s) => s.hash === TPM_ALG.SHA256);
  if (!bank || q.pcrSelect.length !== 1) return fail({ check: 'pcr-digest', ok: false, detail: 'the quote must select one SHA-256 PCR bank' }, { quote: q });
  if (ev.pcrValues) {
    const same = ev.pcrValues.pcrs.length === bank.pcrs.length && ev.pcrValues.pcrs.every((p, i) => p === bank.pcrs[i]);
    if (!same) return fail({ check: 'pcr-digest', ok: false, detail: `the PCR values are for PCRs ${ev.pcrValues.pcrs.join(',')}, the quote selects ${bank.pcrs.join(',')}` }, { quote: q });
    if (!pcrDigest(ev.pcrValues.values).equals(q.pcrDigest)) return fail({ check: 'pcr-digest', ok: false, detail: 'the PCR values do not hash to the quote\'s pcrDigest' }, { quote: q });
    checks.push({ check: 'pcr-digest', ok: true, detail: `SHA-256 of PCRs ${bank.pcrs.join(',')} matches the quote's pcrDigest` });
  }
  if (!ev.eventLog) {
    const pcrs = ev.pcrValues ? Object.fromEntries(ev.pcrValues.pcrs.map((p, i) => [p, ev.pcrValues!.values[i]!.toString('hex')])) : undefined;
    return { ok: true, checks, quote: q, ...(pcrs ? { pcrs } : {}) };
  }
  let events: LogEvent[];
  try {
    events = parseLog(ev.eventLog);
  } catch (err) {
    return fail({ check: 'event-log', ok: false, detail: `the event log cannot be parsed: ${(err as Error).message}` }, { quote: q });
  }
  const replayed = replay(events);
  const selected = bank.pcrs.map((p) => replayed[p]!);
  const pcrs = Object.fromEntries(bank.pcrs.map((p, i) => [p, selected[i]!.toString('hex')]));
  if (ev.pcrValues) {
    const bad = bank.pcrs.filter((p, i) => !ev.pcrValues!.values[i]!.equals(replayed[p]!));
    if (bad.length > 0) return fail({ check: 'event-log', ok: false, detail: `replaying the event log does not give the quoted value of PCR ${bad.join(', PCR ')}` }, { quote: q, events, pcrs });
  }
  if (!pcrDigest(selected).equals(q.pcrDigest)) {
    const check: Check = ev.pcrValues
      ? { check: 'event-log', ok: false, detail: 'the replayed event log does not match the quoted PCRs' }
      : { check: 'pcr-digest', ok: false, detail: 'replaying the event log does not give the PCR values the quote signed (the log was changed or is not this boot\'s)' };
    return fail(check, { quote: q, events, pcrs });
  }
  if (!ev.pcrValues) checks.push({ check: 'pcr-digest', ok: true, detail: `SHA-256 of the replayed PCRs ${bank.pcrs.join(',')} matches the quote's pcrDigest` });
  checks.push({ check: 'event-log', ok: true, detail: `${events.length} events replayed; PCRs ${bank.pcrs.join(',')} match the quote` });
  return { ok: true, checks, quote: q, events, pcrs };
}

// ------------------------------------------------------------------------------------------- describing events

function devicePathFile(dp: Buffer): string | undefined {
  let off = 0;
  let file: string | undefined;
  while (off + 4 <= dp.length) {
    const type = dp[off]!;
    const sub = dp[off + 1]!;
    const len = dp.readUInt16LE(off + 2);
    if (len < 4 || off + len > dp.length) break;
    if (type === 4 && sub === 4) file = dp.subarray(off + 4, off + len).toString('utf16le').replace(/\0+$/, '');
    if (type === 0x7f) break;
    off += len;
  }
  return file;
}

function variableName(data: Buffer): string | undefined {
  if (data.length < 32) return undefined;
  const len = Number(data.readBigUInt64LE(16));
  if (32 + len * 2 > data.length) return undefined;
  return data.subarray(32, 32 + len * 2).toString('utf16le');
}

function variableValue(data: Buffer): Buffer | undefined {
  if (data.length < 32) return undefined;
  const nameLen = Number(data.readBigUInt64LE(16));
  const dataLen = Number(data.readBigUInt64LE(24));
  const start = 32 + nameLen * 2;
  if (start + dataLen > data.length) return undefined;
  return data.subarray(start, start + dataLen);
}

/** What an event measured, in words users recognise ("boot loader (\EFI\ubuntu\grubx64.efi)"). */
export function describeEvent(e: LogEvent): string {
  switch (e.type) {
    case EV.EFI_BOOT_SERVICES_APPLICATION: {
      const path = e.data.length >= 32 ? devicePathFile(e.data.subarray(32)) : undefined;
      const base = path?.split(/[\\/]/).pop() ?? '';
      if (/^shim/i.test(base)) return `shim (${path})`;
      if (/^grub/i.test(base)) return `boot loader (${path})`;
      if (/^vmlinuz/i.test(base)) return `kernel (${path})`;
      return `EFI application (${path ?? 'unknown path'})`;
    }
    case EV.IPL: {
      const s = e.data.toString('utf8').replace(/\0+$/, '');
      if (e.pcr === 9 && /vmlinuz/.test(s)) return `kernel (${s})`;
      if (e.pcr === 9 && /initrd/.test(s)) return `initrd (${s})`;
      if (e.pcr === 14) return `shim MOK list ${s}`;
      return `boot loader command (${s})`;
    }
    case EV.EFI_VARIABLE_DRIVER_CONFIG:
      return `Secure Boot variable ${variableName(e.data) ?? '?'}`;
    case EV.EFI_VARIABLE_AUTHORITY:
      return `Secure Boot authority ${variableName(e.data) ?? '?'}`;
    case EV.EFI_VARIABLE_BOOT:
      return `boot variable ${variableName(e.data) ?? '?'}`;
    case EV.S_CRTM_VERSION:
    case EV.EFI_PLATFORM_FIRMWARE_BLOB:
      return 'UEFI firmware';
    case EV.EFI_GPT_EVENT:
      return `GPT partition table (disk ${e.data.length >= 72 ? guidString(e.data.subarray(56, 72)) : '?'})`;
    case EV.EFI_ACTION:
      return `firmware action "${e.data.toString('ascii')}"`;
    case EV.SEPARATOR:
      return 'separator';
    default:
      return eventTypeName(e.type);
  }
}

// ------------------------------------------------------------------------------------------------- baseline

export interface Deviation {
  pcr: number;
  component: string;
  kind: 'changed' | 'missing' | 'unexpected';
  expected?: string;
  actual?: string;
}

/**
 * Step 6: the boot's events, PCR by PCR, against the image's baseline (a clean boot of the same image). Events are
 * aligned by position within each PCR; a different digest names the component that changed.
 */
export function compareToBaseline(events: LogEvent[], baseline: LogEvent[], pcrs: number[]): Deviation[] {
  const out: Deviation[] = [];
  for (const pcr of pcrs) {
    const got = events.filter((e) => e.pcr === pcr);
    const want = baseline.filter((e) => e.pcr === pcr);
    for (let i = 0; i < Math.max(got.length, want.length); i++) {
      const g = got[i];
      const w = want[i];
      if (g && w && g.type === w.type && g.digest.equals(w.digest)) continue;
      if (g && w) out.push({ pcr, component: describeEvent(w), kind: 'changed', expected: w.digest.toString('hex'), actual: g.digest.toString('hex') });
      else if (w) out.push({ pcr, component: describeEvent(w), kind: 'missing', expected: w.digest.toString('hex') });
      else out.push({ pcr, component: describeEvent(g!), kind: 'unexpected', actual: g!.digest.toString('hex') });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------- attestation service

export const ATTESTED_PCRS = [0, 1, 2, 3, 4, 5, 6, 7];
export const TOKEN_LIFETIME_S = 8 * 3600;

export interface GuestEvidence {
  akCertPem: string;
  attest: Buffer;
  signature: Buffer;
  eventLog: Buffer;
  nonce: Buffer;
  /** What the guest reports about itself (MAA's runtime claims for azurevm). */
  os: { type: 'Linux'; distro: string; versionMajor: number; versionMinor: number };
}

export interface AttestationOutcome {
  verification: QuoteVerification;
  vmId?: string;
  claims?: Record<string, unknown>;
  token?: string;
}

export class AttestationService {
  private kid: string;
  /** The virtual TPM CA chains to its root once and for all; AK certificates are checked once per certificate. */
  private caChained: boolean | undefined;
  private readonly akCerts = new Map<string, { cert: X509Certificate; chained: boolean }>();
  constructor(
    private readonly pki: TrustedLaunchPki,
    readonly issuer: string,
  ) {
    this.kid = createHash('sha256').update(pki.get('attestation').der).digest('base64url');
  }

  /** The token signing keys, as MAA publishes them at /certs (JWKS with x5c). */
  async jwks(): Promise<{ keys: Array<Record<string, unknown>> }> {
    const a = this.pki.get('attestation');
    const jwk = await exportJWK(a.cert.publicKey);
    return { keys: [{ ...jwk, kid: this.kid, alg: 'RS256', use: 'sig', x5c: [a.der.toString('base64')] }] };
  }

  /** Verifies a guest's evidence for VM `expectedVmId` and, when it holds, issues a token with its claims. */
  async attest(ev: GuestEvidence, expectedVmId: string | undefined, nowS: number): Promise<AttestationOutcome> {
    const pre: Check[] = [];
    const ca = this.pki.get('vtpmCa').cert;
    const root = this.pki.get('vtpmRoot').cert;
    this.caChained ??= ca.verify(root.publicKey);
    let known = this.akCerts.get(ev.akCertPem);
    if (!known) {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(ev.akCertPem);
      } catch {
        return { verification: { ok: false, checks: [{ check: 'ak-certificate', ok: false, detail: 'the attestation key certificate is not a certificate' }] } };
      }
      known = { cert, chained: cert.checkIssued(ca) && cert.verify(ca.publicKey) };
      if (this.akCerts.size >= 8192) this.akCerts.clear();
      this.akCerts.set(ev.akCertPem, known);
    }
    const akCert = known.cert;
    const chained = known.chained && this.caChained;
    if (!chained) {
      return { verification: { ok: false, checks: [{ check: 'ak-certificate', ok: false, detail: `the attestation key certificate does not chain to '${root.subject.split('\n')[0]!.slice(3)}'` }] } };
    }
    pre.push({ check: 'ak-certificate', ok: true, detail: `issued by '${ca.subject.split('\n')[0]!.slice(3)}' under '${root.subject.split('\n')[0]!.slice(3)}'` });
    const vmId = /CN=([^\n]+)/.exec(akCert.subject)?.[1];
    if (expectedVmId && vmId !== expectedVmId) {
      return { verification: { ok: false, checks: [...pre, { check: 'vm-identity', ok: false, detail: `the quote comes from the vTPM of VM ${vmId}, not of this VM (${expectedVmId})` }] } };
    }
    if (expectedVmId) pre.push({ check: 'vm-identity', ok: true, detail: `the attestation key belongs to VM ${vmId}` });
    const v = verifyQuote({ akPublicKey: akCert.publicKey, attest: ev.attest, signature: ev.signature, nonce: ev.nonce, eventLog: ev.eventLog });
    const verification = { ...v, checks: [...pre, ...v.checks] };
    if (!v.ok || !v.events || !v.quote) return { verification, ...(vmId ? { vmId } : {}) };
    const claims = this.claims(v.events, v.quote, vmId!, ev.os);
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, typ: 'JWT', jku: `${this.issuer}/certs` })
      .setIssuer(this.issuer)
      .setIssuedAt(nowS)
      .setNotBefore(nowS)
      .setExpirationTime(nowS + TOKEN_LIFETIME_S)
      .setJti(randomUUID())
      .sign(this.pki.get('attestation').key);
    return { verification, vmId: vmId!, claims, token };
  }

  /** The Trusted Launch claims, read from the verified (replayed) event log. */
  claims(events: LogEvent[], q: QuoteAttest, vmId: string, os: GuestEvidence['os']): Record<string, unknown> {
    const pcr7 = (name: string) => {
      const e = events.find((x) => x.pcr === 7 && x.type === EV.EFI_VARIABLE_DRIVER_CONFIG && variableName(x.data) === name);
      return e ? variableValue(e.data) : undefined;
    };
    const expected = secureBootVariables(this.pki, true);
    const sb = pcr7('SecureBoot');
    const eq = (a: Buffer | undefined, b: Buffer) => !!a && a.equals(b);
    return {
      'x-ms-ver': '1.0',
      'x-ms-attestation-type': 'azurevm',
      'x-ms-azurevm-attestation-protocol-ver': '2.0',
      'x-ms-azurevm-attested-pcrs': q.pcrSelect[0]?.pcrs ?? [],
      'x-ms-azurevm-bootdebug-enabled': false,
      'x-ms-azurevm-dbvalidated': eq(pcr7('db'), expected.db),
      'x-ms-azurevm-dbxvalidated': eq(pcr7('dbx'), expected.dbx),
      'x-ms-azurevm-debuggersdisabled': true,
      'x-ms-azurevm-default-securebootkeysvalidated': eq(pcr7('PK'), expected.PK) && eq(pcr7('KEK'), expected.KEK),
      'x-ms-azurevm-elam-enabled': false,
      'x-ms-azurevm-flightsigning-enabled': false,
      'x-ms-azurevm-hvci-policy': 0,
      'x-ms-azurevm-hypervisordebug-enabled': false,
      'x-ms-azurevm-is-windows': false,
      'x-ms-azurevm-kerneldebug-enabled': false,
      'x-ms-azurevm-osbuild': 'NotApplication',
      'x-ms-azurevm-osdistro': os.distro,
      'x-ms-azurevm-ostype': os.type,
      'x-ms-azurevm-osversion-major': os.versionMajor,
      'x-ms-azurevm-osversion-minor': os.versionMinor,
      'x-ms-azurevm-signingdisabled': true,
      'x-ms-azurevm-testsigning-enabled': false,
      'x-ms-azurevm-vmid': vmId.toUpperCase(),
      secureboot: !!sb && sb.length === 1 && sb[0] === 1,
      'x-ms-policy-hash': createHash('sha256').update('aksemu default azurevm policy v1').digest('base64url'),
    };
  }
}
