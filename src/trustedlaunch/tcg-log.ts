/**
 * The TCG crypto-agile event log (TCG PC Client Platform Firmware Profile, "TCG_PCR_EVENT2" format), little-endian:
 *
 *   TCG_PCR_EVENT       the first entry, in the SHA-1 log format: pcr 0, EV_NO_ACTION, a zero SHA-1 digest and the
 *                       TCG_EfiSpecIdEvent "Spec ID Event03" naming the digest algorithms of the log (here SHA-256)
 *   TCG_PCR_EVENT2 ...  pcr u32, type u32, TPML_DIGEST_VALUES {count u32, (alg u16, digest)...}, size u32, data
 *
 * It is what `/sys/kernel/security/tpm0/binary_bios_measurements` holds, what `tpm2_eventlog` prints and what
 * `tpm2_checkquote -e` replays. Parsing is strict (a malformed log is an EventLogError, never a crash).
 */
import { createHash } from 'node:crypto';
import { TPM_ALG, PCR_COUNT } from './tpm2.js';

export const EV = {
  PREBOOT_CERT: 0x0,
  POST_CODE: 0x1,
  NO_ACTION: 0x3,
  SEPARATOR: 0x4,
  ACTION: 0x5,
  S_CRTM_CONTENTS: 0x7,
  S_CRTM_VERSION: 0x8,
  IPL: 0xd,
  EFI_VARIABLE_DRIVER_CONFIG: 0x80000001,
  EFI_VARIABLE_BOOT: 0x80000002,
  EFI_BOOT_SERVICES_APPLICATION: 0x80000003,
  EFI_BOOT_SERVICES_DRIVER: 0x80000004,
  EFI_GPT_EVENT: 0x80000006,
  EFI_ACTION: 0x80000007,
  EFI_PLATFORM_FIRMWARE_BLOB: 0x80000008,
  EFI_HANDOFF_TABLES: 0x80000009,
  EFI_VARIABLE_AUTHORITY: 0x800000e0,
} as const;

const EV_NAMES = new Map<number, string>(Object.entries(EV).map(([k, v]) => [v, `EV_${k}`]));
export const eventTypeName = (t: number) => EV_NAMES.get(t) ?? `0x${t.toString(16)}`;

export class EventLogError extends Error {}

export interface LogEvent {
  pcr: number;
  type: number;
  /** SHA-256 digest extended into the PCR. */
  digest: Buffer;
  data: Buffer;
}

const SPEC_ID_SIGNATURE = Buffer.from('Spec ID Event03\0', 'ascii');

/** The log's header entry: Spec ID Event03 declaring one bank, SHA-256 (32-byte digests), 64-bit UINTN. */
export function specIdHeader(): Buffer {
  const spec = Buffer.alloc(16 + 4 + 4 + 4 + 4 + 1);
  SPEC_ID_SIGNATURE.copy(spec, 0);
  spec.writeUInt32LE(0, 16); // platformClass: client
  spec.writeUInt8(0, 20); // specVersionMinor
  spec.writeUInt8(2, 21); // specVersionMajor
  spec.writeUInt8(0, 22); // specErrata
  spec.writeUInt8(2, 23); // uintnSize: 2 = UINT64
  spec.writeUInt32LE(1, 24); // numberOfAlgorithms
  spec.writeUInt16LE(TPM_ALG.SHA256, 28);
  spec.writeUInt16LE(32, 30);
  spec.writeUInt8(0, 32); // vendorInfoSize
  const head = Buffer.alloc(4 + 4 + 20 + 4);
  head.writeUInt32LE(0, 0);
  head.writeUInt32LE(EV.NO_ACTION, 4);
  head.writeUInt32LE(spec.length, 28);
  return Buffer.concat([head, spec]);
}

export function encodeEvent(e: LogEvent): Buffer {
  if (e.digest.length !== 32) throw new EventLogError('SHA-256 digests are 32 bytes');
  const head = Buffer.alloc(4 + 4 + 4 + 2);
  head.writeUInt32LE(e.pcr, 0);
  head.writeUInt32LE(e.type, 4);
  head.writeUInt32LE(1, 8);
  head.writeUInt16LE(TPM_ALG.SHA256, 12);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(e.data.length);
  return Buffer.concat([head, e.digest, size, e.data]);
}

export function encodeLog(events: LogEvent[]): Buffer {
  return Buffer.concat([specIdHeader(), ...events.map(encodeEvent)]);
}

/** Parses a crypto-agile log; only the SHA-256 digests are kept (other banks are skipped by their declared size). */
export function parseLog(buf: Buffer): LogEvent[] {
  const need = (off: number, n: number, what: string) => {
    if (off + n > buf.length) throw new EventLogError(`the event log is truncated in ${what} (offset ${off})`);
  };
  need(0, 32, 'the Spec ID event');
  if (buf.readUInt32LE(0) !== 0 || buf.readUInt32LE(4) !== EV.NO_ACTION) throw new EventLogError('the log does not start with the EV_NO_ACTION Spec ID event (not a crypto-agile log)');
  const specSize = buf.readUInt32LE(28);
  need(32, specSize, 'the Spec ID event');
  const spec = buf.subarray(32, 32 + specSize);
  if (specSize < 24 || !spec.subarray(0, 16).equals(SPEC_ID_SIGNATURE)) throw new EventLogError('the first event is not "Spec ID Event03"');
  const algCount = spec.readUInt32LE(24);
  if (specSize < 28 + algCount * 4) throw new EventLogError('the Spec ID event is shorter than its algorithm list');
  const sizes = new Map<number, number>();
  for (let i = 0; i < algCount; i++) sizes.set(spec.readUInt16LE(28 + i * 4), spec.readUInt16LE(30 + i * 4));
  if (!sizes.has(TPM_ALG.SHA256)) throw new EventLogError('the log has no SHA-256 bank');
  const events: LogEvent[] = [];
  let off = 32 + specSize;
  while (off < buf.length) {
    need(off, 12, 'an event header');
    const pcr = buf.readUInt32LE(off);
    const type = buf.readUInt32LE(off + 4);
    const count = buf.readUInt32LE(off + 8);
    if (pcr >= PCR_COUNT) throw new EventLogError(`event ${events.length + 1} names PCR ${pcr}`);
    off += 12;
    let digest: Buffer | undefined;
    for (let i = 0; i < count; i++) {
      need(off, 2, 'a digest');
      const alg = buf.readUInt16LE(off);
      const size = sizes.get(alg);
      if (size === undefined) throw new EventLogError(`event ${events.length + 1} has a digest of algorithm 0x${alg.toString(16)} the Spec ID event does not declare`);
      need(off + 2, size, 'a digest');
      if (alg === TPM_ALG.SHA256) digest = Buffer.from(buf.subarray(off + 2, off + 2 + size));
      off += 2 + size;
    }
    need(off, 4, 'an event size');
    const size = buf.readUInt32LE(off);
    need(off + 4, size, 'event data');
    const data = Buffer.from(buf.subarray(off + 4, off + 4 + size));
    off += 4 + size;
    if (type === EV.NO_ACTION) continue; // informational, never extended
    if (!digest) throw new EventLogError(`event ${events.length + 1} has no SHA-256 digest`);
    events.push({ pcr, type, digest, data });
  }
  return events;
}

/** PCR extend: new = SHA-256(old || digest). */
export function extend(pcr: Buffer, digest: Buffer): Buffer {
  return createHash('sha256').update(pcr).update(digest).digest();
}

/** The 24 SHA-256 PCRs a TPM has after the events were extended in order, starting from zero. */
export function replay(events: LogEvent[]): Buffer[] {
  const pcrs: Buffer[] = Array.from({ length: PCR_COUNT }, () => Buffer.alloc(32));
  for (const e of events) pcrs[e.pcr] = extend(pcrs[e.pcr]!, e.digest);
  return pcrs;
}
