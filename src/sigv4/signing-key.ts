/**
 * The SigV4 signing key and signature (reference s3-auth.md §1.9).
 *
 *   kDate    = HMAC-SHA256("AWS4" + secret, YYYYMMDD)
 *   kRegion  = HMAC-SHA256(kDate, region)
 *   kService = HMAC-SHA256(kRegion, service)
 *   kSigning = HMAC-SHA256(kService, "aws4_request")
 *   signature = hex(HMAC-SHA256(kSigning, stringToSign))
 *
 * Derived keys are cached like smithy's credentialDerivation.ts: the cache key holds a hash of
 * the secret, never the secret, so a rotated secret can never hit a stale key.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const MAX_CACHE_SIZE = 64;
const signingKeyCache = new Map<string, Buffer>();

export function hmacSha256(key: Buffer | string, data: string | Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function deriveSigningKey(secretAccessKey: string, shortDate: string, region: string, service: string): Buffer {
  const cacheKey = `${shortDate}:${region}:${service}:${sha256Hex(secretAccessKey)}`;
  const cached = signingKeyCache.get(cacheKey);
  if (cached) return cached;
  const kDate = hmacSha256(`AWS4${secretAccessKey}`, shortDate);
  const kRegion = hmacSha256(kDate, region);
  const kService = hmacSha256(kRegion, service);
  const kSigning = hmacSha256(kService, 'aws4_request');
  if (signingKeyCache.size >= MAX_CACHE_SIZE) {
    const oldest = signingKeyCache.keys().next().value;
    if (oldest !== undefined) signingKeyCache.delete(oldest);
  }
  signingKeyCache.set(cacheKey, kSigning);
  return kSigning;
}

export function calculateSignature(signingKey: Buffer, stringToSign: string): string {
  return hmacSha256(signingKey, stringToSign).toString('hex');
}

/** For tests. */
export function clearSigningKeyCache(): void {
  signingKeyCache.clear();
}

/**
 * Constant-time comparison of two signatures given as strings. Comparing the strings' bytes
 * (not decoded values) is enough: a signature is only ever valid in its canonical form
 * (lower-case hex for SigV4, base64 for SigV2). Unequal lengths return false at once,
 * which reveals only the length, which is public.
 */
export function signaturesEqual(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(provided, 'utf8');
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}
