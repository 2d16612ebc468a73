import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHECKSUM_ALGORITHMS,
  checksumAlgorithmFromHeader,
  checksumDigestLength,
  checksumHeaderName,
  createChecksum,
  isValidChecksumValue,
  parseChecksumAlgorithm,
} from '../../../src/checksum/checksum.ts';
import { crc32c } from '../../../src/checksum/crc32c.ts';
import { crc64nvme } from '../../../src/checksum/crc64nvme.ts';
import type { ChecksumAlgorithm } from '../../../src/storage/types.ts';

function hexOf(alg: ChecksumAlgorithm, data: Buffer): string {
  const c = createChecksum(alg);
  c.update(data);
  return c.digest().toString('hex');
}

function base64Of(alg: ChecksumAlgorithm, data: Buffer): string {
  const c = createChecksum(alg);
  c.update(data);
  return c.digestBase64();
}

/** Bit-at-a-time reflected CRCs straight from the definitions: the oracle for the tables. */
function referenceCrc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function referenceCrc64nvme(data: Uint8Array): bigint {
  let crc = 0xffffffffffffffffn;
  for (const byte of data) {
    crc ^= BigInt(byte);
    for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ 0x9a6c9329ac4bc9b5n : crc >> 1n;
  }
  return crc ^ 0xffffffffffffffffn;
}

const CHECK_INPUT = Buffer.from('123456789');
const A_66560 = Buffer.alloc(66560, 'a');

describe('check values for "123456789"', () => {
  it.each([
    ['CRC32', 'cbf43926'],
    ['CRC32C', 'e3069283'],
    ['CRC64NVME', 'ae8b14860a799888'],
    ['SHA1', 'f7c3bc1d808e04732adf679965ccc34ca7ae3441'],
    ['SHA256', '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225'],
  ] as [ChecksumAlgorithm, string][])('%s -> %s (big-endian digest)', (alg, hex) => {
    expect(hexOf(alg, CHECK_INPUT)).toBe(hex);
  });
});

describe('reference s3-auth.md §7.3: 66560 × "a"', () => {
  it('CRC32C is sOO8/Q== (the trailer value of the signed-trailer example)', () => {
    expect(base64Of('CRC32C', A_66560)).toBe('sOO8/Q==');
  });

  it('CRC32 is sK4Y7A==', () => {
    expect(base64Of('CRC32', A_66560)).toBe('sK4Y7A==');
  });
});

describe('empty input', () => {
  it('CRC32 of nothing is AAAAAA== (the value JS v3 bakes into presigned PUT URLs)', () => {
    expect(base64Of('CRC32', Buffer.alloc(0))).toBe('AAAAAA==');
  });

  it('CRC64NVME of nothing is eight zero bytes', () => {
    expect(base64Of('CRC64NVME', Buffer.alloc(0))).toBe('AAAAAAAAAAA=');
  });
});

describe('table-driven CRCs agree with the bitwise definitions', () => {
  it('CRC32C on random data at every alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 7 }), (bytes, offset) => {
        const data = Buffer.from(bytes).subarray(Math.min(offset, bytes.length));
        expect(crc32c(data)).toBe(referenceCrc32c(data));
      }),
      { numRuns: 300 },
    );
  });

  it('CRC64NVME on random data at every alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 7 }), (bytes, offset) => {
        const data = Buffer.from(bytes).subarray(Math.min(offset, bytes.length));
        expect(crc64nvme(data)).toBe(referenceCrc64nvme(data));
      }),
      { numRuns: 300 },
    );
  });
});

describe('streaming', () => {
  it.each(CHECKSUM_ALGORITHMS)('%s: updates over any split equal one update', (alg) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), fc.array(fc.nat({ max: 500 }), { maxLength: 10 }), (bytes, cuts) => {
        const data = Buffer.from(bytes);
        const points = [...new Set(cuts.map((c) => Math.min(c, data.length)))].sort((a, b) => a - b);
        const calc = createChecksum(alg);
        let start = 0;
        for (const p of [...points, data.length]) {
          calc.update(data.subarray(start, p));
          start = p;
        }
        expect(calc.digestBase64()).toBe(base64Of(alg, data));
      }),
      { numRuns: 100 },
    );
  });

  it.each(['CRC32C', 'CRC64NVME'] as ChecksumAlgorithm[])('%s processes 20 MiB in well under a second', (alg) => {
    const data = Buffer.alloc(20 * 1024 * 1024, 0x5a);
    const calc = createChecksum(alg);
    const start = performance.now();
    calc.update(data);
    calc.digest();
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

describe('names and values', () => {
  it.each([
    ['CRC32', 'x-amz-checksum-crc32', 4],
    ['CRC32C', 'x-amz-checksum-crc32c', 4],
    ['CRC64NVME', 'x-amz-checksum-crc64nvme', 8],
    ['SHA1', 'x-amz-checksum-sha1', 20],
    ['SHA256', 'x-amz-checksum-sha256', 32],
  ] as [ChecksumAlgorithm, string, number][])('%s <-> %s, %d-byte digest', (alg, header, length) => {
    expect(checksumHeaderName(alg)).toBe(header);
    expect(checksumAlgorithmFromHeader(header)).toBe(alg);
    expect(checksumAlgorithmFromHeader(header.toUpperCase())).toBe(alg);
    expect(parseChecksumAlgorithm(alg.toLowerCase())).toBe(alg);
    expect(checksumDigestLength(alg)).toBe(length);
    expect(createChecksum(alg).digest().length).toBe(length);
  });

  it('unknown names are undefined', () => {
    expect(parseChecksumAlgorithm('MD5')).toBeUndefined();
    expect(checksumAlgorithmFromHeader('x-amz-checksum-mode')).toBeUndefined();
    expect(checksumAlgorithmFromHeader('x-amz-checksum-type')).toBeUndefined();
    expect(checksumAlgorithmFromHeader('content-md5')).toBeUndefined();
  });

  it.each(CHECKSUM_ALGORITHMS)('%s: its own digest is a valid value', (alg) => {
    expect(isValidChecksumValue(alg, base64Of(alg, CHECK_INPUT))).toBe(true);
  });

  it.each([
    ['CRC32', 'MTIz', 'base64 of 3 bytes'],
    ['CRC32', 'AAAAAAA=', 'base64 of 5 bytes'],
    ['CRC32', 'AAAAAA', 'unpadded'],
    ['CRC32', 'AAAA AA=', 'a space'],
    ['CRC32', 'AAAA-_==', 'URL-safe alphabet'],
    ['CRC32', '', 'empty'],
    ['CRC64NVME', 'sK4Y7A==', 'a 4-byte value'],
    ['SHA256', 'sK4Y7A==', 'a 4-byte value'],
    ['SHA1', 'sOO8/Q==', 'a 4-byte value'],
  ] as [ChecksumAlgorithm, string, string][])('%s value %j (%s) is invalid', (alg, value) => {
    expect(isValidChecksumValue(alg, value)).toBe(false);
  });
});
