/**
 * UEFI structures that a measured boot logs (UEFI 2.x, TCG PC Client Platform Firmware Profile), little-endian as
 * firmware writes them: GUIDs, UEFI_VARIABLE_DATA, EFI_SIGNATURE_LIST (PK/KEK/db/dbx contents), device paths,
 * EFI_LOAD_OPTION (Boot####), UEFI_IMAGE_LOAD_EVENT and the GPT event (UEFI_GPT_DATA).
 */
import { crc32 } from 'node:zlib';

export const EFI_GUID = {
  globalVariable: '8be4df61-93ca-11d2-aa0d-00e098032b8c',
  imageSecurityDatabase: 'd719b2cb-3d3a-4596-a3bc-dad00e67656f',
  shimLock: '605dab50-e046-4300-abb6-3dd810dd8b23',
  certX509: 'a5c059a1-94e4-4aa7-87b5-ab155c2bf072',
  certSha256: 'c1c41626-504c-4092-aca9-41f936934328',
  /** The owner GUID Microsoft uses for its db/KEK entries. */
  microsoftOwner: '77fa9abd-0359-4d32-bd60-28f4e78f784b',
  /** GPT partition types. */
  efiSystemPartition: 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b',
  linuxFilesystem: '0fc63daf-8483-4772-8e79-3d69d8477de4',
  biosBoot: '21686148-6449-6e6f-744e-656564454649',
} as const;

/** A GUID in its EFI wire form: the first three fields little-endian, the last eight bytes as written. */
export function guidBytes(guid: string): Buffer {
  const hex = guid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`not a GUID: ${guid}`);
  const b = Buffer.from(hex, 'hex');
  return Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
}

export function guidString(b: Buffer): string {
  const h = (x: Buffer) => x.toString('hex');
  return `${h(Buffer.from(b.subarray(0, 4)).reverse())}-${h(Buffer.from(b.subarray(4, 6)).reverse())}-${h(Buffer.from(b.subarray(6, 8)).reverse())}-${h(b.subarray(8, 10))}-${h(b.subarray(10, 16))}`;
}

const u16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
};
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};
const u64 = (v: number | bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
};
const utf16 = (s: string) => Buffer.from(s, 'utf16le');

/** UEFI_VARIABLE_DATA: how EV_EFI_VARIABLE_* events carry a variable's name and value. */
export function uefiVariableData(vendorGuid: string, name: string, data: Buffer): Buffer {
  return Buffer.concat([guidBytes(vendorGuid), u64(name.length), u64(data.length), utf16(name), data]);
}

/** One EFI_SIGNATURE_LIST of entries of one type (each entry: owner GUID + data of equal size). */
export function signatureList(type: string, owner: string, entries: Buffer[]): Buffer {
  if (entries.length === 0) return Buffer.alloc(0);
  const size = 16 + entries[0]!.length;
  if (entries.some((e) => 16 + e.length !== size)) throw new Error('all entries of an EFI_SIGNATURE_LIST have the same size');
  const body = Buffer.concat(entries.map((e) => Buffer.concat([guidBytes(owner), e])));
  return Buffer.concat([guidBytes(type), u32(28 + body.length), u32(0), u32(size), body]);
}

/** A signature database (db/dbx/KEK/PK value): one X.509 list per certificate, one SHA-256 list for all hashes. */
export function signatureDatabase(owner: string, certs: Buffer[], sha256s: Buffer[] = []): Buffer {
  return Buffer.concat([...certs.map((c) => signatureList(EFI_GUID.certX509, owner, [c])), signatureList(EFI_GUID.certSha256, owner, sha256s)]);
}

/** EFI_SIGNATURE_DATA: owner GUID + data (what EV_EFI_VARIABLE_AUTHORITY logs for the certificate that was used). */
export function signatureData(owner: string, data: Buffer): Buffer {
  return Buffer.concat([guidBytes(owner), data]);
}

// ----------------------------------------------------------------------------------------------- device paths

function node(type: number, subType: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, subType]), u16(4 + body.length), body]);
}

/** HD(partition, GPT, guid, start, size)/File(path)/End: where a boot application lives on the OS disk. */
export function fileDevicePath(part: { number: number; startLba: number; sizeLba: number; guid: string }, path: string): Buffer {
  const hd = node(4, 1, Buffer.concat([u32(part.number), u64(part.startLba), u64(part.sizeLba), guidBytes(part.guid), Buffer.from([2, 2])]));
  const file = node(4, 4, utf16(`${path}\0`));
  return Buffer.concat([hd, file, Buffer.from([0x7f, 0xff, 0x04, 0x00])]);
}

/** EFI_LOAD_OPTION: a Boot#### variable's value. */
export function loadOption(description: string, devicePath: Buffer, active = true): Buffer {
  return Buffer.concat([u32(active ? 1 : 0), u16(devicePath.length), utf16(`${description}\0`), devicePath]);
}

/** UEFI_IMAGE_LOAD_EVENT: what EV_EFI_BOOT_SERVICES_APPLICATION logs for an image being started. */
export function imageLoadEvent(location: bigint, length: number, devicePath: Buffer): Buffer {
  return Buffer.concat([u64(location), u64(length), u64(0), u64(devicePath.length), devicePath]);
}

/** UEFI_PLATFORM_FIRMWARE_BLOB: base and length of a measured firmware volume. */
export function firmwareBlob(base: bigint, length: number): Buffer {
  return Buffer.concat([u64(base), u64(length)]);
}

// ------------------------------------------------------------------------------------------------------ GPT

export interface GptPartition {
  type: string;
  guid: string;
  startLba: number;
  endLba: number;
  attributes?: bigint;
  name: string;
}

/** UEFI_GPT_DATA: the GPT header and the used partition entries, as EV_EFI_GPT_EVENT logs them. */
export function gptEvent(diskGuid: string, lastLba: number, partitions: GptPartition[]): Buffer {
  const entries = partitions.map((p) => {
    const name = Buffer.alloc(72);
    utf16(p.name).copy(name, 0, 0, 70);
    return Buffer.concat([guidBytes(p.type), guidBytes(p.guid), u64(p.startLba), u64(p.endLba), u64(p.attributes ?? 0n), name]);
  });
  // The on-disk array has 128 entries of 128 bytes; unused ones are zero.
  const array = Buffer.concat([...entries, Buffer.alloc((128 - entries.length) * 128)]);
  const header = Buffer.concat([
    Buffer.from('EFI PART', 'ascii'),
    u32(0x00010000),
    u32(92),
    u32(0), // HeaderCRC32, filled below
    u32(0),
    u64(1),
    u64(lastLba),
    u64(34),
    u64(lastLba - 33),
    guidBytes(diskGuid),
    u64(2),
    u32(128),
    u32(128),
    u32(crc32(array)),
  ]);
  header.writeUInt32LE(crc32(header), 16);
  return Buffer.concat([header, u64(entries.length), ...entries]);
}
