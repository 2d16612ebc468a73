/**
 * Signatures never reach the request log, the inspector or `signet log`. The verifier's steps
 * carry them on purpose (signatureProvided / signatureExpected, the SignatureProvided element a
 * payload step copies, an unparsable Authorization header, a chunk line that failed to parse),
 * so every step is redacted before it is stored:
 *
 *   1. a detail field whose name contains "signature" (signatureProvided, SignatureProvided,
 *      x-amz-signature, x-amz-trailer-signature…) loses its whole value;
 *   2. in every other text (summaries and detail values), the value after
 *        X-Amz-Signature=   Signature=   signature=   chunk-signature=
 *        x-amz-trailer-signature:      AWS <access key id>:<SigV2 signature>
 *        "signature": "…"  (JSON, e.g. a form echoed as text)
 *      is replaced, and so is the previous signature that an aws-chunked chunk's (or
 *      trailer's) string to sign carries on its fourth line:
 *        AWS4-HMAC-SHA256-PAYLOAD / date / scope / <previous signature> / …
 *   3. any value removed in (1) is also scrubbed wherever else it appears verbatim.
 *
 * A 64-hex value is not redacted by shape alone: canonical-request hashes and payload hashes
 * look the same and are what a reader needs to compare with their client's output.
 */
import type { VerificationStep } from '../auth/types.ts';

export const REDACTED = '[redacted]';

/** Detail field names whose whole value is a signature. */
function isSignatureField(name: string): boolean {
  return /signature/i.test(name);
}

const TEXT_PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // X-Amz-Signature=, Signature=, signature=, chunk-signature= (query, Authorization, chunk lines)
  [/(\b(?:x-amz-|chunk-)?signature=)[^&\s,;"'<>]+/gi, `$1${REDACTED}`],
  // the same, percent-encoded inside a URL that was itself encoded
  [/(\b(?:x-amz-)?signature%3d)[^&\s,;"'<>]+/gi, `$1${REDACTED}`],
  [/(x-amz-trailer-signature\s*:\s*)\S+/gi, `$1${REDACTED}`],
  // SigV2 Authorization header: "AWS AKID:base64"
  [/(\bAWS [^\s:]+:)[A-Za-z0-9+/=]+/g, `$1${REDACTED}`],
  // "signature": "…" or "x-amz-signature":"…" in JSON text
  [/("(?:x-amz-)?signature"\s*:\s*")[^"]*"/gi, `$1${REDACTED}"`],
  // a chunk's or trailer's string to sign: its fourth line is the previous signature
  [/(AWS4-HMAC-SHA256-(?:PAYLOAD|TRAILER)\n[^\n]*\n[^\n]*\n)[0-9a-fA-F]+/g, `$1${REDACTED}`],
];

/** Redacts signature values inside free text. */
export function redactText(text: string, knownSignatures: readonly string[] = []): string {
  let out = text;
  // Every refusal is logged with its steps, and most of their texts hold none of the markers:
  // one scan for them is much cheaper than six replaces.
  if (MAY_HOLD_SIGNATURE.test(out)) {
    for (const [pattern, replacement] of TEXT_PATTERNS) out = out.replace(pattern, replacement);
  }
  for (const signature of knownSignatures) {
    if (out.includes(signature)) out = out.split(signature).join(REDACTED);
  }
  return out;
}

/** Matches wherever one of TEXT_PATTERNS could: a superset (case-insensitive) of their anchors. */
const MAY_HOLD_SIGNATURE = /signature|AWS |AWS4-HMAC-SHA256-(?:PAYLOAD|TRAILER)/i;

/** Every value a signature-named field holds, long enough to be unmistakable. */
function collectSignatures(steps: readonly VerificationStep[]): string[] {
  const found = new Set<string>();
  for (const step of steps) {
    for (const [name, value] of Object.entries(step.detail ?? {})) {
      if (isSignatureField(name) && typeof value === 'string' && value.length >= 16) found.add(value);
    }
  }
  // Longest first, so a signature that contains another is removed whole.
  return [...found].sort((a, b) => b.length - a.length);
}

/** A copy of the steps with every signature value replaced by [redacted]. */
export function redactSteps(steps: readonly VerificationStep[]): VerificationStep[] {
  const known = collectSignatures(steps);
  return steps.map((step) => {
    const detail: Record<string, string> = {};
    for (const [name, value] of Object.entries(step.detail ?? {})) {
      const text = String(value);
      detail[name] = isSignatureField(name) ? (text === '' ? '' : REDACTED) : redactText(text, known);
    }
    return { name: step.name, ok: step.ok, summary: redactText(String(step.summary ?? ''), known), detail };
  });
}
