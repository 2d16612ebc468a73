/**
 * The single entry point for authenticating an S3 request (not a browser POST form):
 *
 *   detect -> sigv4-header | sigv4-query | sigv2-header | sigv2-query | anonymous (refused)
 *
 * The 'detect' step leads the trace whichever verifier runs next.
 */
import { verifySigV2Header, verifySigV2Query } from '../sigv2/verify.ts';
import { verifyHeaderSignature } from '../sigv4/verify-header.ts';
import { verifyPresignedUrl } from '../sigv4/verify-query.ts';
import { detectAuthMechanism, type DetectedKind } from './detect.ts';
import type { SignableRequest, VerifyContext, VerifyResult } from './types.ts';

const VERIFIERS: Record<Exclude<DetectedKind, 'anonymous'>, (req: SignableRequest, ctx: VerifyContext) => VerifyResult> = {
  'sigv4-header': verifyHeaderSignature,
  'sigv4-query': verifyPresignedUrl,
  'sigv2-header': verifySigV2Header,
  'sigv2-query': verifySigV2Query,
};

export function verifyRequest(req: SignableRequest, ctx: VerifyContext): VerifyResult {
  const detection = detectAuthMechanism(req);
  if (!detection.ok) {
    return { ok: false, kind: 'anonymous', failure: detection.failure, steps: [detection.step] };
  }
  if (detection.kind === 'anonymous') {
    const step = { ...detection.step, ok: false, summary: 'no credentials: signet serves no anonymous requests' };
    return { ok: false, kind: 'anonymous', failure: { reason: 'AnonymousAccessDenied', elements: {} }, steps: [step] };
  }
  const result = VERIFIERS[detection.kind](req, ctx);
  return { ...result, steps: [detection.step, ...result.steps] };
}
