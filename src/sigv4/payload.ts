/**
 * The payload line of the canonical request and what it promises about the body
 * (reference s3-auth.md §1.7).
 *
 *   x-amz-content-sha256                          payload mode
 *   64 hex                                        sha256: the body must hash to it
 *   UNSIGNED-PAYLOAD                              unsigned
 *   STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]  aws-chunked, every chunk signed
 *   STREAMING-UNSIGNED-PAYLOAD-TRAILER            aws-chunked, checksum in a trailer
 *   STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD*     SigV4a: refused as invalid (signet has no SigV4a)
 *
 * The SigV4a values are valid to S3; answering them with ContentSha256Invalid (400
 * InvalidArgument) is signet's choice, UNVERIFIED (§1.7 suggests it or NotImplemented).
 */
import {
  HEADER,
  QUERY,
  SHA256_HEX,
  STREAMING_SIGNED_PAYLOAD,
  STREAMING_SIGNED_PAYLOAD_TRAILER,
  STREAMING_UNSIGNED_PAYLOAD_TRAILER,
  UNSIGNED_PAYLOAD,
} from './constants.ts';
import type { QueryParam } from './query.ts';

export type DeclaredPayload =
  | { type: 'sha256'; expectedHex: string }
  | { type: 'unsigned' }
  | { type: 'streaming-signed'; trailer: boolean }
  | { type: 'streaming-unsigned-trailer' };

/** Header auth: what an x-amz-content-sha256 value declares, or undefined when S3 refuses it. */
export function classifyContentSha256(value: string): DeclaredPayload | undefined {
  if (SHA256_HEX.test(value)) return { type: 'sha256', expectedHex: value.toLowerCase() };
  switch (value) {
    case UNSIGNED_PAYLOAD:
      return { type: 'unsigned' };
    case STREAMING_SIGNED_PAYLOAD:
      return { type: 'streaming-signed', trailer: false };
    case STREAMING_SIGNED_PAYLOAD_TRAILER:
      return { type: 'streaming-signed', trailer: true };
    case STREAMING_UNSIGNED_PAYLOAD_TRAILER:
      return { type: 'streaming-unsigned-trailer' };
    default:
      return undefined;
  }
}

export interface PresignedPayload {
  /** The last line of the canonical request. */
  payloadHash: string;
  source: 'query' | 'signed-header' | 'default';
  /** Only a hex value binds the body; any other value leaves it unsigned. */
  declared: { type: 'sha256'; expectedHex: string } | { type: 'unsigned' };
}

/**
 * A presigned URL signs `UNSIGNED-PAYLOAD` (§1.7), unless the query carries
 * X-Amz-Content-Sha256 (JS v3 hoists it there; name matched case-insensitively, as smithy
 * reads it), or x-amz-content-sha256 is one of the signed headers. Then that value is the
 * payload line, and a hex value makes the body checked (MinIO does so; AWS UNVERIFIED).
 */
export function presignedPayloadHash(
  params: readonly QueryParam[],
  headers: Record<string, string[]>,
  signedHeaderNames: readonly string[],
): PresignedPayload {
  const fromQuery = params.find((p) => p.key.toLowerCase() === QUERY.contentSha256.toLowerCase());
  if (fromQuery) return declare(fromQuery.value, 'query');
  const headerSigned = signedHeaderNames.some((n) => n.toLowerCase() === HEADER.contentSha256);
  const fromHeader = headers[HEADER.contentSha256];
  if (headerSigned && fromHeader) return declare(fromHeader.join(','), 'signed-header');
  return { payloadHash: UNSIGNED_PAYLOAD, source: 'default', declared: { type: 'unsigned' } };
}

function declare(value: string, source: PresignedPayload['source']): PresignedPayload {
  const declared = SHA256_HEX.test(value) ? { type: 'sha256' as const, expectedHex: value.toLowerCase() } : { type: 'unsigned' as const };
  return { payloadHash: value, source, declared };
}
