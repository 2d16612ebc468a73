/**
 * `signet explain`: what the server would do with a request, step by step, without sending it.
 *
 * It follows the server's own path (src/http/app.ts handleS3Request) with the server's own
 * functions:
 *
 *   build the request from the URL -> resolveAddress -> (OPTIONS preflight | browser POST)
 *     -> verifyRequest (the verifier's steps) -> resolveOperation -> authorize (the 'authorize' step)
 *
 * then looks for the classic traps in the evidence (hints.ts). Pure: time, region and the
 * token lookup are arguments; it never reads the clock, the environment or the disk.
 */
import type { AuthFailure, SignableRequest, VerificationStep, VerifyContext, VerifyResult } from '../auth/types.ts';
import { verifyRequest } from '../auth/verify-request.ts';
import { authorize } from '../access/authorize.ts';
import type { AccessRequest } from '../access/types.ts';
import { isBrowserPost, resolveAddress, type Address } from '../http/address.ts';
import type { RequestContext } from '../http/context.ts';
import { parseCopySource } from '../http/operations/copy-object.ts';
import { resolveOperation, type RoutingContext } from '../http/operations/index.ts';
import { S3_ERRORS, isS3Error, type ErrorReason, type S3Error } from '../http/s3-errors.ts';
import { formatErrorTime } from '../sigv4/time.ts';
import { findHints, type Evidence } from './hints.ts';
import { buildRequest, ExplainInputError, type BuiltRequest } from './request.ts';
import type { ExplainDeps, ExplainError, ExplainInput, ExplainReport } from './types.ts';

export { ExplainInputError } from './request.ts';

/**
 * The report for one request. Throws ExplainInputError only for input that is not a request
 * (not an http(s) URL, a bad header name) or that explain cannot judge (a browser POST form).
 */
export function explainRequest(input: ExplainInput, deps: ExplainDeps): ExplainReport {
  const built = buildRequest(input);
  const host = built.headers.host?.[0] ?? '';
  const ctx: VerifyContext = { now: deps.now, region: deps.region, lookupToken: (id) => deps.lookupToken(id) };
  const server = { region: deps.region, now: formatErrorTime(deps.now), clockOffsetMs: deps.clockOffsetMs ?? 0 };

  let address: Address;
  try {
    address = resolveAddress(host, built.rawPath);
  } catch (err) {
    if (!isS3Error(err)) throw err;
    const step: VerificationStep = {
      name: 'detect',
      ok: false,
      summary: 'the path is not valid percent-encoded UTF-8: the server cannot read a bucket and key from it',
      detail: { rawPath: built.rawPath },
    };
    return { request: describe(built, host, { style: 'path' }), server, mechanism: 'anonymous', steps: [step], verdict: 'refused', error: fromS3Error(err), hints: [] };
  }
  const request = describe(built, host, address);
  const signable: SignableRequest = {
    method: built.method,
    rawPath: built.rawPath,
    rawQuery: built.rawQuery,
    headers: built.headers,
    virtualHostBucket: address.virtualHostBucket,
  };

  if (built.method === 'OPTIONS') {
    const step: VerificationStep = {
      name: 'detect',
      ok: true,
      summary: "a CORS preflight: answered from the bucket's CORS rules, without authentication",
      detail: { kind: 'cors-preflight' },
    };
    return { request, server, mechanism: 'anonymous', steps: [step], verdict: 'accepted', hints: [] };
  }
  if (isBrowserPost(built.method, address, built.rawQuery)) return explainBrowserPost(request, server, built);

  const result = verifyRequest(signable, ctx);
  const steps = [...result.steps];
  const evidence: Evidence = { built, request: signable, address, ctx, deps, result, steps };
  const report = (verdict: ExplainReport['verdict'], error?: ExplainError, operation?: string): ExplainReport => ({
    request,
    server,
    mechanism: result.kind,
    accessKeyId: result.accessKeyId,
    steps,
    verdict,
    ...(error ? { error } : {}),
    ...(operation ? { operation } : {}),
    hints: findHints({ ...evidence, operation, error }),
  });
  if (!result.ok) {
    evidence.failure = result.failure;
    return report('refused', fromAuthFailure(result.failure));
  }

  const authorized = authorizeOperation(signable, address, result, steps);
  evidence.denied = authorized.denied;
  return report(authorized.error ? 'refused' : 'accepted', authorized.error, authorized.operation);
}

interface Authorized {
  operation?: string;
  error?: ExplainError;
  /** The access the token was refused */
  denied?: AccessRequest;
}

/**
 * resolveOperation + authorize, as the app runs them after authentication; a copy also needs
 * read access to its source (CopyObject authorizes it first thing, src/http/operations/copy-object.ts).
 */
function authorizeOperation(req: SignableRequest, address: Address, result: Extract<VerifyResult, { ok: true }>, steps: VerificationStep[]): Authorized {
  const routing = routingContext(req, address, result);
  let operation: string | undefined;
  try {
    const op = resolveOperation(routing);
    operation = op.name;
    const requests: AccessRequest[] = [op.access(routing as RequestContext)];
    if (op.name === 'CopyObject' || op.name === 'UploadPartCopy') {
      const source = parseCopySource(req.headers['x-amz-copy-source']?.[0] ?? '');
      requests.push({ action: 'read', bucket: source.bucket, key: source.key });
    }
    for (const access of requests) {
      const verdict = authorize(result.token, access);
      steps.push(verdict.step);
      if (!verdict.ok) return { operation, error: fromAuthFailure(verdict.failure), denied: access };
    }
    return { operation };
  } catch (err) {
    if (!isS3Error(err)) throw err;
    steps.push({
      name: 'authorize',
      ok: false,
      summary: `the server refuses the operation itself: ${err.message}`,
      detail: { operation: operation ?? '(none)', code: err.code },
    });
    return { operation, error: fromS3Error(err) };
  }
}

/** The parts of a RequestContext that routing and the operations' access() read. */
function routingContext(req: SignableRequest, address: Address, result: Extract<VerifyResult, { ok: true }>): RoutingContext & Pick<RequestContext, 'principal'> {
  return {
    req: { method: req.method } as RoutingContext['req'],
    bucket: address.bucket,
    key: address.key,
    query: new URLSearchParams(req.rawQuery),
    headers: req.headers,
    principal: { kind: result.kind, token: result.token, payload: result.payload, steps: [] },
  };
}

function explainBrowserPost(request: ExplainReport['request'], server: ExplainReport['server'], built: BuiltRequest): ExplainReport {
  if (/^multipart\/form-data\b/i.test(built.headers['content-type']?.[0] ?? '')) {
    throw new ExplainInputError(
      'POST /BUCKET with multipart/form-data is a browser upload: it is authenticated by its form fields (policy, signature), which a URL does not carry, so explain cannot check it',
    );
  }
  const error: ExplainError = { ...spec('PostNotMultipart'), elements: { Condition: 'Bucket POST must be of the enclosure-type multipart/form-data' } };
  const step: VerificationStep = {
    name: 'detect',
    ok: false,
    summary: 'POST /BUCKET is a browser upload form, and its body must be multipart/form-data',
    detail: { kind: 'browser-post', contentType: built.headers['content-type']?.join(', ') ?? '(none)' },
  };
  return { request, server, mechanism: 'anonymous', steps: [step], verdict: 'refused', error, hints: [] };
}

function describe(built: BuiltRequest, host: string, address: Address): ExplainReport['request'] {
  return {
    method: built.method,
    url: built.url,
    host,
    rawPath: built.rawPath,
    rawQuery: built.rawQuery,
    headers: { ...built.headers },
    addressing: address.style,
    ...(address.bucket !== undefined ? { bucket: address.bucket } : {}),
    ...(address.key !== undefined ? { key: address.key } : {}),
  };
}

function spec(reason: ErrorReason): Omit<ExplainError, 'elements'> {
  const { status, code, message } = S3_ERRORS[reason];
  return { status, code, message };
}

function fromAuthFailure(failure: AuthFailure): ExplainError {
  return { ...spec(failure.reason), ...(failure.message ? { message: failure.message } : {}), elements: { ...failure.elements } };
}

function fromS3Error(err: S3Error): ExplainError {
  return { status: err.status, code: err.code, message: err.message, elements: { ...err.elements } };
}

/**
 * The report without the expected signatures. A signature computed for an edited request is a
 * valid signature for it: whoever can paste a URL into a form that answers with it could extend
 * or retarget that URL. The CLI needs no redaction (its user can read the data directory, token
 * secrets included); a form served over HTTP should use this unless the caller holds the root
 * credentials.
 */
export function redactExpectedSignatures(report: ExplainReport): ExplainReport {
  return {
    ...report,
    steps: report.steps.map((step) =>
      step.detail.signatureExpected === undefined ? step : { ...step, detail: { ...step.detail, signatureExpected: '(redacted)' } },
    ),
  };
}
