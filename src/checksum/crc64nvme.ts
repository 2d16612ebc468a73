/**
 * CRC64NVME, the `x-amz-checksum-crc64nvme` algorithm (AWS CLI v2's default, and what S3
 * stores by default for new objects). Not in Node core.
 *
 *   poly 0xAD93D23594C93659, reflected 0x9A6C9329AC4BC9B5
 *   init 0xFFFFFFFFFFFFFFFF, xorout 0xFFFFFFFFFFFFFFFF
 *   check value ("123456789") 0xAE8B14860A799888
 *
 * The 64-bit register is kept as two 32-bit halves (lo, hi) so the hot loop stays in V8's
 * small-integer arithmetic; BigInt per byte would be two orders of magnitude slower.
 * Slicing-by-8 as in crc32c.ts: table k, split into LO[k] and HI[k], holds the CRC of byte i
 * followed by k zero bytes; eight bytes are read as two little-endian words.
 *
 * `crc64nvme(data, prev)` chains: pass the previous result to continue.
 */
import { alignedWords } from './words.ts';

const POLY = 0x9a6c9329ac4bc9b5n;
const MASK64 = 0xffffffffffffffffn;
/** Built on the first CRC64NVME, not at import: every start would pay for it (a few ms of BigInt). */
let tables: { LO: Int32Array[]; HI: Int32Array[] } | undefined;

function buildTables(): { LO: Int32Array[]; HI: Int32Array[] } {
  const base: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ POLY : c >> 1n;
    base.push(c);
  }
  const LO: Int32Array[] = [];
  const HI: Int32Array[] = [];
  let current = base;
  for (let k = 0; k < 8; k++) {
    LO.push(Int32Array.from(current, (v) => Number(BigInt.asIntN(32, v))));
    HI.push(Int32Array.from(current, (v) => Number(BigInt.asIntN(32, v >> 32n))));
    current = current.map((v) => (v >> 8n) ^ base[Number(v & 0xffn)]);
  }
  return { LO, HI };
}

export function crc64nvme(data: Uint8Array, prev = 0n): bigint {
  const { LO, HI } = (tables ??= buildTables());
  const [l0, l1, l2, l3, l4, l5, l6, l7] = LO;
  const [h0, h1, h2, h3, h4, h5, h6, h7] = HI;
  const start = ~prev & MASK64;
  let lo = Number(BigInt.asIntN(32, start));
  let hi = Number(BigInt.asIntN(32, start >> 32n));
  const { head, words, tail } = alignedWords(data, 8);
  let i = 0;
  for (; i < head; i++) {
    const idx = (lo ^ data[i]) & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) ^ l0[idx];
    hi = (hi >>> 8) ^ h0[idx];
  }
  for (let j = 0; j < words.length; j += 2) {
    const a = lo ^ words[j];
    const b = hi ^ words[j + 1];
    const i7 = a & 0xff, i6 = (a >>> 8) & 0xff, i5 = (a >>> 16) & 0xff, i4 = a >>> 24;
    const i3 = b & 0xff, i2 = (b >>> 8) & 0xff, i1 = (b >>> 16) & 0xff, i0 = b >>> 24;
    lo = l7[i7] ^ l6[i6] ^ l5[i5] ^ l4[i4] ^ l3[i3] ^ l2[i2] ^ l1[i1] ^ l0[i0];
    hi = h7[i7] ^ h6[i6] ^ h5[i5] ^ h4[i4] ^ h3[i3] ^ h2[i2] ^ h1[i1] ^ h0[i0];
  }
  for (i = tail; i < data.length; i++) {
    const idx = (lo ^ data[i]) & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) ^ l0[idx];
    hi = (hi >>> 8) ^ h0[idx];
  }
  const crc = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  return ~crc & MASK64;
}
