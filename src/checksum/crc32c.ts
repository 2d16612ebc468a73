/**
 * CRC32C (Castagnoli), the `x-amz-checksum-crc32c` algorithm. Not in Node core.
 *
 *   poly 0x1EDC6F41, reflected 0x82F63B78, init 0xFFFFFFFF, xorout 0xFFFFFFFF
 *   check value ("123456789") 0xE3069283
 *
 * Slicing-by-8: table k holds the CRC of byte i followed by k zero bytes, so the loop consumes
 * eight bytes (two little-endian words) per step with eight lookups instead of one per byte;
 * S3 uploads can be gigabytes.
 *
 * `crc32c(data, prev)` chains like zlib.crc32: pass the previous result to continue.
 */
import { alignedWords } from './words.ts';

const POLY = 0x82f63b78;
const TABLES = buildTables();

function buildTables(): Int32Array[] {
  const t0 = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[i] = c;
  }
  const tables = [t0];
  for (let k = 1; k < 8; k++) {
    const prev = tables[k - 1];
    tables.push(Int32Array.from(prev, (v) => (v >>> 8) ^ t0[v & 0xff]));
  }
  return tables;
}

export function crc32c(data: Uint8Array, prev = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES;
  let crc = ~prev;
  const { head, words, tail } = alignedWords(data, 8);
  let i = 0;
  for (; i < head; i++) crc = t0[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  for (let j = 0; j < words.length; j += 2) {
    const a = crc ^ words[j];
    const b = words[j + 1];
    crc =
      t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^
      t3[b & 0xff] ^ t2[(b >>> 8) & 0xff] ^ t1[(b >>> 16) & 0xff] ^ t0[b >>> 24];
  }
  for (i = tail; i < data.length; i++) crc = t0[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
