/**
 * Random bytes for nonces, HKDF infos and DEKs, drawn from node:crypto's CSPRNG in 16 KiB blocks: one
 * `randomFillSync` per block instead of one call per write (each call costs a few microseconds, a large share of a
 * KMS v2 write). A block is never reused: each request gets fresh bytes, and a new block is allocated (not
 * refilled) when one runs out, so bytes handed out earlier are never overwritten.
 */
import { randomFillSync } from 'node:crypto';

const BLOCK = 16 * 1024;
let block = Buffer.alloc(0);
let offset = 0;

export function randomBytesFast(n: number): Buffer {
  if (n > BLOCK) return randomFillSync(Buffer.allocUnsafe(n));
  if (offset + n > block.length) {
    block = randomFillSync(Buffer.allocUnsafe(BLOCK));
    offset = 0;
  }
  const out = block.subarray(offset, offset + n);
  offset += n;
  return out;
}
