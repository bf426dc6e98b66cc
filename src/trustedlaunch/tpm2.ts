/**
 * TPM 2.0 structures a vTPM quote is made of (TPM 2.0 Library, Part 2: Structures), encoded with Buffer exactly as
 * a TPM marshals them — big-endian, TPM2B = u16 size + bytes — so that `tpm2_checkquote` reads what we write and we
 * read what a real (software) TPM writes:
 *
 *   TPMS_ATTEST        magic 0xff544347, type TPM_ST_ATTEST_QUOTE (0x8018), qualifiedSigner TPM2B_NAME, extraData
 *                      TPM2B_DATA (the caller's nonce), clockInfo, firmwareVersion, TPMS_QUOTE_INFO
 *                      {TPML_PCR_SELECTION, pcrDigest TPM2B_DIGEST}
 *   TPMT_SIGNATURE     sigAlg (ECDSA 0x0018 | RSASSA 0x0014), hash, then r,s (ECDSA) or the signature (RSASSA)
 *   TPMT_PUBLIC        of an ECC P-256 attestation key, hashed into its TPM name (nameAlg || SHA-256(TPMT_PUBLIC))
 *
 * and the PCR file tpm2-tools writes with `tpm2_quote -o` and reads with `tpm2_checkquote -f`: the in-memory C
 * structures of tpm2-tss, little-endian, TPML_PCR_SELECTION (132 bytes) + u32 count + that many TPML_DIGEST (532
 * bytes each, at most 8 digests per list). tpm2-tools 5.4 parses the selection-string form wrongly from the 8th PCR
 * on, so this file form is the one to use for 8 or more PCRs (reference/TRUSTED-LAUNCH.md).
 */
import { createHash } from 'node:crypto';

export const TPM_GENERATED_VALUE = 0xff544347;
export const TPM_ST_ATTEST_QUOTE = 0x8018;
export const TPM_ALG = { RSA: 0x0001, SHA1: 0x0004, SHA256: 0x000b, SHA384: 0x000c, SHA512: 0x000d, NULL: 0x0010, RSASSA: 0x0014, ECDSA: 0x0018, ECC: 0x0023 } as const;
export const TPM_ECC_NIST_P256 = 0x0003;
/** fixedTPM | fixedParent | sensitiveDataOrigin | userWithAuth | restricted | sign: an attestation key. */
export const AK_OBJECT_ATTRIBUTES = 0x00050072;
/** Number of PCRs of a PC Client TPM and bytes of their selection bitmap. */
export const PCR_COUNT = 24;
const SIZEOF_SELECT = 3;

export class TpmFormatError extends Error {}

/** A big-endian writer for TPM marshalling. */
class Writer {
  private readonly parts: Buffer[] = [];
  u8(v: number): this {
    this.parts.push(Buffer.from([v & 0xff]));
    return this;
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    this.parts.push(b);
    return this;
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    this.parts.push(b);
    return this;
  }
  u64(v: bigint): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(v);
    this.parts.push(b);
    return this;
  }
  bytes(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  tpm2b(b: Buffer): this {
    return this.u16(b.length).bytes(b);
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A big-endian reader that refuses to run past the end (malformed input is a TpmFormatError, never a crash). */
class Reader {
  private off = 0;
  constructor(private readonly buf: Buffer) {}
  private need(n: number, what: string): void {
    if (this.off + n > this.buf.length) throw new TpmFormatError(`truncated ${what}: needs ${n} bytes at offset ${this.off}, ${this.buf.length - this.off} left`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf.readUInt8(this.off++);
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16BE(this.off);
    this.off += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.off);
    this.off += 4;
    return v;
  }
  u64(what: string): bigint {
    this.need(8, what);
    const v = this.buf.readBigUInt64BE(this.off);
    this.off += 8;
    return v;
  }
  bytes(n: number, what: string): Buffer {
    this.need(n, what);
    const v = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return Buffer.from(v);
  }
  tpm2b(what: string): Buffer {
    return this.bytes(this.u16(`${what} size`), what);
  }
  end(what: string): void {
    if (this.off !== this.buf.length) throw new TpmFormatError(`${this.buf.length - this.off} unexpected bytes after ${what}`);
  }
}

// --------------------------------------------------------------------------------------------- PCR selection

export interface PcrSelection {
  hash: number;
  pcrs: number[];
}

function bitmap(pcrs: number[]): Buffer {
  const b = Buffer.alloc(SIZEOF_SELECT);
  for (const p of pcrs) {
    if (!Number.isInteger(p) || p < 0 || p >= PCR_COUNT) throw new TpmFormatError(`PCR index ${p} is out of range 0-${PCR_COUNT - 1}`);
    b[p >> 3]! |= 1 << (p & 7);
  }
  return b;
}

function fromBitmap(b: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < b.length * 8; i++) if (b[i >> 3]! & (1 << (i & 7))) out.push(i);
  return out;
}

/** Parses "0-7", "0,1,2,7", "0-7,14" into sorted PCR indexes. */
export function parsePcrList(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new TpmFormatError(`'${part}' is not a PCR index or range (use e.g. 0-7 or 0,4,7)`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a > b || b >= PCR_COUNT) throw new TpmFormatError(`PCR range '${part}' is outside 0-${PCR_COUNT - 1}`);
    for (let i = a; i <= b; i++) out.add(i);
  }
  if (out.size === 0) throw new TpmFormatError('select at least one PCR');
  return [...out].sort((x, y) => x - y);
}

function writeSelection(w: Writer, sel: PcrSelection[]): void {
  w.u32(sel.length);
  for (const s of sel) w.u16(s.hash).u8(SIZEOF_SELECT).bytes(bitmap(s.pcrs));
}

function readSelection(r: Reader): PcrSelection[] {
  const count = r.u32('TPML_PCR_SELECTION.count');
  if (count > 16) throw new TpmFormatError(`TPML_PCR_SELECTION.count ${count} is larger than 16 banks`);
  const out: PcrSelection[] = [];
  for (let i = 0; i < count; i++) {
    const hash = r.u16('TPMS_PCR_SELECTION.hash');
    const size = r.u8('TPMS_PCR_SELECTION.sizeofSelect');
    if (size > 4) throw new TpmFormatError(`sizeofSelect ${size} is larger than 4`);
    out.push({ hash, pcrs: fromBitmap(r.bytes(size, 'pcrSelect')) });
  }
  return out;
}

/** SHA-256 over the selected PCR values in ascending order: the quote's pcrDigest. */
export function pcrDigest(values: Buffer[]): Buffer {
  const h = createHash('sha256');
  for (const v of values) h.update(v);
  return h.digest();
}

// ------------------------------------------------------------------------------------------------ TPMS_ATTEST

export interface QuoteAttest {
  qualifiedSigner: Buffer;
  extraData: Buffer;
  clock: bigint;
  resetCount: number;
  restartCount: number;
  safe: boolean;
  firmwareVersion: bigint;
  pcrSelect: PcrSelection[];
  pcrDigest: Buffer;
}

export function encodeQuoteAttest(q: QuoteAttest): Buffer {
  const w = new Writer().u32(TPM_GENERATED_VALUE).u16(TPM_ST_ATTEST_QUOTE).tpm2b(q.qualifiedSigner).tpm2b(q.extraData);
  w.u64(q.clock).u32(q.resetCount).u32(q.restartCount).u8(q.safe ? 1 : 0).u64(q.firmwareVersion);
  writeSelection(w, q.pcrSelect);
  return w.tpm2b(q.pcrDigest).done();
}

/** Parses a TPMS_ATTEST; refuses anything that is not a TPM-generated quote. */
export function decodeQuoteAttest(buf: Buffer): QuoteAttest {
  const r = new Reader(buf);
  const magic = r.u32('magic');
  if (magic !== TPM_GENERATED_VALUE) throw new TpmFormatError(`magic 0x${magic.toString(16)} is not TPM_GENERATED_VALUE (0xff544347): not produced by a TPM`);
  const type = r.u16('type');
  if (type !== TPM_ST_ATTEST_QUOTE) throw new TpmFormatError(`type 0x${type.toString(16)} is not TPM_ST_ATTEST_QUOTE (0x8018)`);
  const qualifiedSigner = r.tpm2b('qualifiedSigner');
  const extraData = r.tpm2b('extraData');
  const clock = r.u64('clockInfo.clock');
  const resetCount = r.u32('clockInfo.resetCount');
  const restartCount = r.u32('clockInfo.restartCount');
  const safe = r.u8('clockInfo.safe') === 1;
  const firmwareVersion = r.u64('firmwareVersion');
  const pcrSelect = readSelection(r);
  const digest = r.tpm2b('pcrDigest');
  r.end('TPMS_ATTEST');
  return { qualifiedSigner, extraData, clock, resetCount, restartCount, safe, firmwareVersion, pcrSelect, pcrDigest: digest };
}

// --------------------------------------------------------------------------------------------- TPMT_SIGNATURE

export type TpmSignature = { sigAlg: typeof TPM_ALG.ECDSA; hash: number; r: Buffer; s: Buffer } | { sigAlg: typeof TPM_ALG.RSASSA; hash: number; sig: Buffer };

export function encodeSignature(s: TpmSignature): Buffer {
  const w = new Writer().u16(s.sigAlg).u16(s.hash);
  if (s.sigAlg === TPM_ALG.ECDSA) w.tpm2b(s.r).tpm2b(s.s);
  else w.tpm2b(s.sig);
  return w.done();
}

export function decodeSignature(buf: Buffer): TpmSignature {
  const r = new Reader(buf);
  const sigAlg = r.u16('sigAlg');
  const hash = r.u16('hash');
  if (sigAlg === TPM_ALG.ECDSA) {
    const out = { sigAlg, hash, r: r.tpm2b('signatureR'), s: r.tpm2b('signatureS') } as const;
    r.end('TPMT_SIGNATURE');
    return out;
  }
  if (sigAlg === TPM_ALG.RSASSA) {
    const out = { sigAlg, hash, sig: r.tpm2b('signature') } as const;
    r.end('TPMT_SIGNATURE');
    return out;
  }
  throw new TpmFormatError(`signature algorithm 0x${sigAlg.toString(16)} is not ECDSA (0x0018) or RSASSA (0x0014)`);
}

// ------------------------------------------------------------------------------------------------ TPMT_PUBLIC

/** The TPMT_PUBLIC of an ECC P-256 ECDSA/SHA-256 attestation key with point (x, y). */
export function eccAkPublicArea(x: Buffer, y: Buffer): Buffer {
  return new Writer()
    .u16(TPM_ALG.ECC)
    .u16(TPM_ALG.SHA256)
    .u32(AK_OBJECT_ATTRIBUTES)
    .tpm2b(Buffer.alloc(0)) // authPolicy
    .u16(TPM_ALG.NULL) // symmetric: none (a signing key)
    .u16(TPM_ALG.ECDSA)
    .u16(TPM_ALG.SHA256) // scheme ECDSA with SHA-256
    .u16(TPM_ECC_NIST_P256)
    .u16(TPM_ALG.NULL) // kdf
    .tpm2b(x)
    .tpm2b(y)
    .done();
}

/** A TPM object's name: nameAlg (SHA-256) followed by the hash of its public area. */
export function tpmName(publicArea: Buffer): Buffer {
  const alg = Buffer.alloc(2);
  alg.writeUInt16BE(TPM_ALG.SHA256);
  return Buffer.concat([alg, createHash('sha256').update(publicArea).digest()]);
}

// ----------------------------------------------------------------------------------- tpm2-tools PCR file

/** sizeof(TPML_PCR_SELECTION) in tpm2-tss: u32 count + 16 × TPMS_PCR_SELECTION (u16, u8, u8[4], padded to 8). */
const TSS_PCR_SELECTION_SIZE = 4 + 16 * 8;
/** sizeof(TPML_DIGEST): u32 count + 8 × TPM2B_DIGEST (u16 size + 64-byte buffer). */
const TSS_DIGEST_LIST_SIZE = 4 + 8 * (2 + 64);

/** The file `tpm2_quote -o` writes and `tpm2_checkquote -f` reads (one bank, values in ascending PCR order). */
export function encodeTpm2ToolsPcrs(hash: number, pcrs: number[], values: Buffer[]): Buffer {
  if (pcrs.length !== values.length) throw new TpmFormatError('one value per selected PCR is needed');
  const out = Buffer.alloc(TSS_PCR_SELECTION_SIZE + 4 + Math.ceil(values.length / 8) * TSS_DIGEST_LIST_SIZE);
  out.writeUInt32LE(1, 0);
  out.writeUInt16LE(hash, 4);
  out.writeUInt8(SIZEOF_SELECT, 6);
  bitmap(pcrs).copy(out, 7);
  const lists = Math.ceil(values.length / 8);
  out.writeUInt32LE(lists, TSS_PCR_SELECTION_SIZE);
  for (let l = 0; l < lists; l++) {
    const base = TSS_PCR_SELECTION_SIZE + 4 + l * TSS_DIGEST_LIST_SIZE;
    const chunk = values.slice(l * 8, l * 8 + 8);
    out.writeUInt32LE(chunk.length, base);
    chunk.forEach((v, i) => {
      out.writeUInt16LE(v.length, base + 4 + i * 66);
      v.copy(out, base + 4 + i * 66 + 2);
    });
  }
  return out;
}

/** Reads a tpm2-tools PCR file back: bank, selected PCRs and their values. */
export function decodeTpm2ToolsPcrs(buf: Buffer): { hash: number; pcrs: number[]; values: Buffer[] } {
  if (buf.length < TSS_PCR_SELECTION_SIZE + 4) throw new TpmFormatError(`a tpm2-tools PCR file has at least ${TSS_PCR_SELECTION_SIZE + 4} bytes, not ${buf.length}`);
  if (buf.readUInt32LE(0) !== 1) throw new TpmFormatError(`only one PCR bank is supported, the file selects ${buf.readUInt32LE(0)}`);
  const hash = buf.readUInt16LE(4);
  const size = buf.readUInt8(6);
  if (size > 4) throw new TpmFormatError(`sizeofSelect ${size} is larger than 4`);
  const pcrs = fromBitmap(buf.subarray(7, 7 + size));
  const lists = buf.readUInt32LE(TSS_PCR_SELECTION_SIZE);
  if (buf.length < TSS_PCR_SELECTION_SIZE + 4 + lists * TSS_DIGEST_LIST_SIZE) throw new TpmFormatError('the PCR file is shorter than its digest lists');
  const values: Buffer[] = [];
  for (let l = 0; l < lists; l++) {
    const base = TSS_PCR_SELECTION_SIZE + 4 + l * TSS_DIGEST_LIST_SIZE;
    const n = buf.readUInt32LE(base);
    if (n > 8) throw new TpmFormatError(`a TPML_DIGEST holds at most 8 digests, not ${n}`);
    for (let i = 0; i < n; i++) {
      const len = buf.readUInt16LE(base + 4 + i * 66);
      if (len > 64) throw new TpmFormatError(`digest size ${len} is larger than 64`);
      values.push(Buffer.from(buf.subarray(base + 6 + i * 66, base + 6 + i * 66 + len)));
    }
  }
  if (values.length !== pcrs.length) throw new TpmFormatError(`the file selects ${pcrs.length} PCRs but holds ${values.length} values`);
  return { hash, pcrs, values };
}
