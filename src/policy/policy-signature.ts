/**
 * Signatures over a POST policy. The string to sign is the `policy` field exactly as sent
 * (the base64 text, never a re-encoding of the decoded JSON; reference §5.2, §4):
 *
 *   SigV4  x-amz-signature = hex(HMAC-SHA256(signingKey(secret, YYYYMMDD, region, "s3"), policy))
 *   SigV2  signature       = base64(HMAC-SHA1(secret, policy))
 */
import { createHmac } from 'node:crypto';
import { calculateSignature, deriveSigningKey } from '../sigv4/signing-key.ts';

export function calculatePolicySignatureV4(secretAccessKey: string, shortDate: string, region: string, policy: string): string {
  return calculateSignature(deriveSigningKey(secretAccessKey, shortDate, region, 's3'), policy);
}

export function calculatePolicySignatureV2(secretAccessKey: string, policy: string): string {
  return createHmac('sha1', secretAccessKey).update(policy, 'utf8').digest('base64');
}

/** `StringToSignBytes` as S3 prints it: lower-case two-digit hex, single spaces (§6.2). */
export function formatStringToSignBytes(stringToSign: string): string {
  return Array.from(Buffer.from(stringToSign, 'utf8'), (b) => b.toString(16).padStart(2, '0')).join(' ');
}
