/**
 * The three last stages, composed once for the verifiers and the signers:
 *
 *   request parts -> createCanonicalRequest -> createStringToSign -> calculateSignature
 */
import { createCanonicalHeaders, createCanonicalRequest, createCanonicalUri, splitSignedHeaders } from './canonical-request.ts';
import { calculateSignature } from './signing-key.ts';
import { createStringToSign } from './string-to-sign.ts';

export interface SignatureInput {
  method: string;
  rawPath: string;
  /** Already canonical (createCanonicalQuery of the raw query). */
  canonicalQuery: string;
  headers: Record<string, string[]>;
  /** The SignedHeaders line exactly as it is signed: "host;x-amz-date". */
  signedHeaders: string;
  payloadHash: string;
  amzDate: string;
  credentialScope: string;
  signingKey: Buffer;
}

export interface SignatureComputation {
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

export function computeSignature(input: SignatureInput): SignatureComputation {
  const canonicalRequest = createCanonicalRequest({
    method: input.method,
    canonicalUri: createCanonicalUri(input.rawPath),
    canonicalQuery: input.canonicalQuery,
    canonicalHeaders: createCanonicalHeaders(input.headers, splitSignedHeaders(input.signedHeaders)),
    signedHeaders: input.signedHeaders,
    payloadHash: input.payloadHash,
  });
  const stringToSign = createStringToSign(input.amzDate, input.credentialScope, canonicalRequest);
  return { canonicalRequest, stringToSign, signature: calculateSignature(input.signingKey, stringToSign) };
}
