/**
 * Random hex strings for ids (request ids, blob ids), drawn from a pooled CSPRNG buffer:
 * `randomBytes(8)` per request is one call into OpenSSL each time, which showed up in the
 * request path's profile; one 4 KiB draw serves hundreds of ids. Same randomness either way.
 */
import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

/** `bytes` random bytes as lower-case hex (2 characters each). */
export function randomHex(bytes: number): string {
  if (bytes > POOL_BYTES) return randomBytes(bytes).toString('hex');
  if (offset + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}
