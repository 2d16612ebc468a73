/**
 * The credential scope and the string to sign (reference s3-auth.md §1.8).
 *
 *   AWS4-HMAC-SHA256\n
 *   20130524T000000Z\n                      the request time, yyyyMMdd'T'HHmmss'Z'
 *   20130524/us-east-1/s3/aws4_request\n    the credential scope
 *   3bfa2928…ad04                           hex SHA-256 of the canonical request
 */
import { ALGORITHM, SCOPE_TERMINATOR } from './constants.ts';
import { sha256Hex } from './signing-key.ts';

/** `<yyyyMMdd>/<region>/<service>/aws4_request`. */
export function createCredentialScope(shortDate: string, region: string, service: string): string {
  return `${shortDate}/${region}/${service}/${SCOPE_TERMINATOR}`;
}

export function createStringToSign(amzDate: string, credentialScope: string, canonicalRequest: string): string {
  return [ALGORITHM, amzDate, credentialScope, sha256Hex(canonicalRequest)].join('\n');
}
