/**
 * Streaming calculators for S3's additional checksums (reference s3-auth.md §3.3-3.5), and the
 * naming and value rules around them. Pure: no fs, no clock.
 *
 *   algorithm   header                    digest    base64 length
 *   CRC32       x-amz-checksum-crc32      4 bytes   8   e.g. sK4Y7A==
 *   CRC32C      x-amz-checksum-crc32c     4 bytes   8   e.g. sOO8/Q==
 *   CRC64NVME   x-amz-checksum-crc64nvme  8 bytes   12
 *   SHA1        x-amz-checksum-sha1       20 bytes  28
 *   SHA256      x-amz-checksum-sha256     32 bytes  44
 *
 * A value is the base64 of the big-endian digest.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { ChecksumAlgorithm } from '../storage/types.ts';
import { crc32c } from './crc32c.ts';
import { crc64nvme } from './crc64nvme.ts';

export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'];

const DIGEST_LENGTH: Record<ChecksumAlgorithm, number> = { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32 };

const HEADER_PREFIX = 'x-amz-checksum-';

export interface ChecksumCalculator {
  readonly algorithm: ChecksumAlgorithm;
  update(data: Buffer): void;
  /** The big-endian digest. Call once, after the last update. */
  digest(): Buffer;
  digestBase64(): string;
}

export function createChecksum(algorithm: ChecksumAlgorithm): ChecksumCalculator {
  const calc = createDigester(algorithm);
  return {
    algorithm,
    update: calc.update,
    digest: calc.digest,
    digestBase64: () => calc.digest().toString('base64'),
  };
}

function createDigester(algorithm: ChecksumAlgorithm): { update(data: Buffer): void; digest(): Buffer } {
  switch (algorithm) {
    case 'CRC32':
      return crc32Digester((data, prev) => crc32(data, prev));
    case 'CRC32C':
      return crc32Digester(crc32c);
    case 'CRC64NVME': {
      let value = 0n;
      return {
        update: (data) => void (value = crc64nvme(data, value)),
        digest: () => {
          const out = Buffer.alloc(8);
          out.writeBigUInt64BE(value);
          return out;
        },
      };
    }
    case 'SHA1':
    case 'SHA256': {
      const hash = createHash(algorithm === 'SHA1' ? 'sha1' : 'sha256');
      return { update: (data) => void hash.update(data), digest: () => hash.digest() };
    }
  }
}

function crc32Digester(fn: (data: Buffer, prev: number) => number): { update(data: Buffer): void; digest(): Buffer } {
  let value = 0;
  return {
    update: (data) => void (value = fn(data, value)),
    digest: () => {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(value >>> 0);
      return out;
    },
  };
}

/** Built once: every upload looks for all five headers. */
const HEADER_NAMES = Object.fromEntries(CHECKSUM_ALGORITHMS.map((alg) => [alg, HEADER_PREFIX + alg.toLowerCase()])) as Record<ChecksumAlgorithm, string>;

/** 'CRC32' -> 'x-amz-checksum-crc32' */
export function checksumHeaderName(algorithm: ChecksumAlgorithm): string {
  return HEADER_NAMES[algorithm];
}

/**
 * An algorithm name as clients write it in x-amz-sdk-checksum-algorithm or
 * x-amz-checksum-algorithm ('CRC32', 'crc32c'; case-insensitive), or undefined.
 */
export function parseChecksumAlgorithm(name: string): ChecksumAlgorithm | undefined {
  const upper = name.trim().toUpperCase();
  return CHECKSUM_ALGORITHMS.find((alg) => alg === upper);
}

/** 'x-amz-checksum-crc32' (any case) -> 'CRC32'; any other name -> undefined. */
export function checksumAlgorithmFromHeader(headerName: string): ChecksumAlgorithm | undefined {
  const lower = headerName.trim().toLowerCase();
  if (!lower.startsWith(HEADER_PREFIX)) return undefined;
  return CHECKSUM_ALGORITHMS.find((alg) => checksumHeaderName(alg) === lower);
}

export function checksumDigestLength(algorithm: ChecksumAlgorithm): number {
  return DIGEST_LENGTH[algorithm];
}

/**
 * True when `value` is padded base64 of exactly the algorithm's digest length. The unused low
 * bits of the last character are not checked: compare decoded bytes, never strings.
 */
export function isValidChecksumValue(algorithm: ChecksumAlgorithm, value: string): boolean {
  return isBase64OfLength(value, DIGEST_LENGTH[algorithm]);
}

/** Padded base64 of exactly `bytes` bytes (also used for Content-MD5: 16 bytes). */
export function isBase64OfLength(value: string, bytes: number): boolean {
  let shape = base64Shapes.get(bytes);
  if (!shape) {
    const pad = (3 - (bytes % 3)) % 3;
    shape = new RegExp(`^[A-Za-z0-9+/]{${Math.ceil(bytes / 3) * 4 - pad}}={${pad}}$`);
    base64Shapes.set(bytes, shape);
  }
  return shape.test(value);
}

const base64Shapes = new Map<number, RegExp>();
