/**
 * Signatures over a POST policy. The string to sign is the `policy` field exactly as sent
 * (the base64 text, never a re-encoding of the decoded JSON; reference §5.2, §4):
 *
 *   SigV4  x-amz-signature = hex(HMAC-SHA256(signingKey(secret, YYYYMMDD, region, "s3"), policy))
 *   SigV2  signature       = base64(HMAC-SHA1(secret, policy))
 */
import { signV2 } from '../sigv2/signature.ts';
import { calculateSignature, deriveSigningKey } from '../sigv4/signing-key.ts';

export function calculatePolicySignatureV4(secretAccessKey: string, shortDate: string, region: string, policy: string): string {
  return calculateSignature(deriveSigningKey(secretAccessKey, shortDate, region, 's3'), policy);
}

/** SigV2 forms sign the base64 policy as SigV2 signs any string to sign. */
export function calculatePolicySignatureV2(secretAccessKey: string, policy: string): string {
  return signV2(secretAccessKey, policy);
}

/** `StringToSignBytes` as S3 prints it: lower-case two-digit hex, single spaces (§6.2). */
export { toSpacedHex as formatStringToSignBytes } from '../auth/spaced-hex.ts';
