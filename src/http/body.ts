/**
 * The upload body pipeline shared by PutObject, UploadPart and POST Object
 * (reference s3-auth.md §1.7, §3; error rows 27-31 and 50 of §6.2):
 *
 *   source ──▶ [aws-chunked decoder] ──▶ upload verifier ──▶ stream (to BlobStore.write)
 *              STREAMING-* only:          counts, MD5 (always, for the ETag),
 *              chunk signatures,          SHA-256 (hex x-amz-content-sha256 only),
 *              framing, trailers          the x-amz-checksum-* the client sent,
 *                                         POST's content-length-range
 *
 * A small body that is not aws-chunked skips the stream stage: it is read whole through the
 * same checks (readWhole, SMALL_BODY_BYTES).
 *
 * Header faults are thrown (S3Error) by prepareUploadBody before any byte is read. Body faults
 * error the returned stream in the verifier's flush, i.e. before it ends (or reject the whole
 * body): the blob store renames only on a clean end, so a refused body is never stored.
 *
 * Only headers are looked at. Checksum values hoisted into a presigned URL's query are signed
 * but never checked against the body, as AWS does (reference §2.5): that holds by construction.
 *
 * On a failure the source is unpiped, not destroyed, so the HTTP layer can still drain it and
 * answer on the same socket.
 */
import { createHash, type Hash } from 'node:crypto';
import { finished, Transform, type Readable, type TransformCallback } from 'node:stream';
import type { PayloadMode, VerificationStep } from '../auth/types.ts';
import {
  checksumAlgorithmFromHeader,
  checksumHeaderName,
  CHECKSUM_ALGORITHMS,
  createChecksum,
  isBase64OfLength,
  isValidChecksumValue,
  type ChecksumCalculator,
} from '../checksum/checksum.ts';
import { AwsChunkedError, createAwsChunkedDecoder, type AwsChunkedDecoder, type StreamingPayloadMode } from '../sigv4/chunked.ts';
import type { ChecksumAlgorithm, StoredChecksum } from '../storage/types.ts';
import { S3Error, type ErrorReason } from './s3-errors.ts';

/** S3's single-PUT limit. */
export const DEFAULT_MAX_UPLOAD_BYTES = 5 * 1024 ** 3;

export interface UploadBodyOptions {
  payload: PayloadMode;
  /**
   * Lower-case names, every value (req.headersDistinct). For POST Object pass the form fields
   * that describe the file (content-md5, x-amz-checksum-*), not the multipart request's
   * Content-Length.
   */
  headers: Record<string, string[]>;
  maxBytes?: number;
  /** Only changes how BadDigest echoes the sent Content-MD5 (§3.4 quirk). Default PutObject. */
  operation?: 'PutObject' | 'UploadPart' | 'PostObject';
  /**
   * POST Object's content-length-range (rows 37-38): the body must be within it, checked as it
   * streams and refused in POST's own words (see checkRunningSize). None for other operations.
   */
  sizeRange?: { min: number; max: number };
  /**
   * What an error of the source that is not an S3Error means, when it is not a client gone
   * mid-body: for POST Object, busboy's "Unexpected end of form" is MalformedPOSTRequest.
   * Unset, such an error passes on as it is (an internal error).
   */
  sourceErrorReason?: 'MalformedPOSTRequest';
  /**
   * The request's trace (principal.steps). A 'payload' step is appended when the body ends,
   * ok or not, and a refusal's S3Error carries the whole trace as its steps.
   */
  steps?: VerificationStep[];
}

export interface UploadBodyResult {
  size: number;
  md5Hex: string;
  /** The checksum the client sent (header or trailer), verified; none when it sent none. */
  checksum?: StoredChecksum;
}

export interface UploadBody {
  /**
   * The object's bytes: a stream that errors with an S3Error before ending when the body is
   * refused, or, for a small body ({@link SMALL_BODY_BYTES}), the whole of it once read and
   * verified (rejects with that S3Error). `await body.content` gives either.
   */
  content: Readable | Promise<Buffer | Readable>;
  /** Valid once `content` has ended (resolved). */
  result(): UploadBodyResult;
}

/**
 * A body declared this small by its Content-Length (not aws-chunked) is read whole into memory
 * and checked in one go, with no stream stage between the socket and the file: for a 1 KiB
 * upload the streams cost more than the bytes. Sixteen such uploads at once hold 1 MiB. A body
 * of unknown length (a POST form's file) is read the same way until it passes this size, and
 * streams from there on.
 */
export const SMALL_BODY_BYTES = 64 * 1024;

interface ExpectedChecksum {
  algorithm: ChecksumAlgorithm;
  /** Decoded header value; undefined when the value comes in a trailer. */
  headerValue?: Buffer;
  /** Lower-case trailer name when announced in x-amz-trailer. */
  trailerName?: string;
}

/** Everything the header checks settled, for the verifier. */
interface UploadPlan {
  maxBytes: number;
  operation: NonNullable<UploadBodyOptions['operation']>;
  contentMd5?: { sent: string; digest: Buffer };
  /** x-amz-content-sha256 as sent (hex) */
  sha256Hex?: string;
  checksum?: ExpectedChecksum;
  streaming?: { payload: StreamingPayloadMode; decodedLength: number; announcedTrailers: string[] };
  /** Content-Length, for a body that is not aws-chunked (HTTP itself holds the body to it) */
  declaredLength?: number;
  sizeRange?: { min: number; max: number };
  sourceErrorReason?: UploadBodyOptions['sourceErrorReason'];
}

export function prepareUploadBody(source: Readable, opts: UploadBodyOptions): UploadBody {
  const steps = opts.steps;
  let plan: UploadPlan;
  try {
    plan = planUpload(opts);
  } catch (err) {
    throw withStep(err, steps);
  }
  const decoder = plan.streaming
    ? createAwsChunkedDecoder({ payload: plan.streaming.payload, announcedTrailers: plan.streaming.announcedTrailers })
    : undefined;
  if (!decoder && (plan.declaredLength === undefined || plan.declaredLength <= SMALL_BODY_BYTES)) {
    const checks = new BodyChecks(plan, undefined, steps);
    const content = readWhole(source, checks, plan.declaredLength === undefined ? SMALL_BODY_BYTES : undefined);
    // A refusal can come before the consumer awaits (an aborted client): not an unhandled one.
    content.catch(() => {});
    return { content, result: () => checks.resultOrThrow() };
  }
  const checks = new BodyChecks(plan, decoder, steps);
  return { content: verifyStream(source, checks, decoder), result: () => checks.resultOrThrow() };
}

/**
 * `source` through the checks as a stream stage (behind the aws-chunked decoder, if any).
 * `head`: chunks already read from `source` and fed to the checks, which come out first.
 */
function verifyStream(source: Readable, checks: BodyChecks, decoder: AwsChunkedDecoder | undefined, head: Buffer[] = []): Readable {
  const { steps, plan } = checks;
  const verifier = new UploadVerifier(checks);
  for (const chunk of head) verifier.push(chunk);

  const fail = (err: Error): void => {
    if (!verifier.destroyed) verifier.destroy(withStep(toS3Error(err, plan), steps));
  };
  finished(source, { writable: false }, (err) => {
    if (err) fail(err);
  });
  if (decoder) {
    decoder.on('error', fail);
    source.pipe(decoder).pipe(verifier);
  } else {
    source.pipe(verifier);
  }
  // A refusal can happen before the consumer attaches (an aborted client); it stays readable as
  // stream.errored, and an unheard 'error' event must not take the server down.
  verifier.on('error', () => {});
  verifier.once('close', () => {
    source.unpipe(decoder ?? verifier);
    if (decoder && !decoder.destroyed) decoder.destroy();
  });

  return verifier;
}

/**
 * The whole of a small body, checked. 'data' events straight from the request: reading resumes
 * it (so a client waiting for `100 Continue` gets it, as with a pipe). A refused body has been
 * read in full, so the answer goes out on the same connection; a client gone mid-body is
 * IncompleteBody, as in the stream.
 *
 * `streamPast`: a body of unknown length that grows past this many bytes is not held whole:
 * the result is then a stream of the bytes read so far and the rest, through the checks.
 */
function readWhole(source: Readable, checks: BodyChecks, streamPast?: number): Promise<Buffer | Readable> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const settle = (error: Error | undefined, bytes?: Buffer | Readable) => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('close', onClose);
      if (error) reject(withStep(toS3Error(error, checks.plan), checks.steps));
      else resolve(bytes!);
    };
    const onData = (chunk: Buffer) => {
      const tooMuch = checks.update(chunk);
      if (tooMuch) return settle(tooMuch);
      chunks.push(chunk);
      if (streamPast !== undefined && checks.size > streamPast) {
        source.pause();
        settle(undefined, verifyStream(source, checks, undefined, chunks));
      }
    };
    const onEnd = () => {
      if (settled) return;
      try {
        checks.finish();
      } catch (error) {
        return settle(error as Error);
      }
      settle(undefined, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    };
    // A request destroyed before its end (client gone, idle timeout) closes without 'end'.
    // Checked first: 'close' follows every 'end', and an Error costs a stack trace.
    const onClose = () => {
      if (!settled) settle(prematureClose());
    };
    // Stays after settling: an error that comes later (the client gone while the rest of a
    // refused body is discarded) is then moot, but must not be an unhandled one. Attached
    // first: a stream destroyed with an error emits it on the next tick (busboy's file stream
    // on "Unexpected end of form"), after the check below.
    source.on('error', settle);
    // Gone or read before this started: no event would ever come.
    if (source.destroyed || source.readableEnded) {
      settle(source.errored ?? prematureClose());
      return;
    }
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('close', onClose);
  });
}

/** What a stream reports when its source closes before its end (toS3Error: IncompleteBody). */
function prematureClose(): Error {
  return Object.assign(new Error('premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

// ---- header checks (synchronous, before any byte is read)

function planUpload(opts: UploadBodyOptions): UploadPlan {
  const { payload, headers } = opts;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const plan: UploadPlan = { maxBytes, operation: opts.operation ?? 'PutObject', sizeRange: opts.sizeRange, sourceErrorReason: opts.sourceErrorReason };
  plan.contentMd5 = parseContentMd5(headerValue(headers, 'content-md5'));
  const streaming = payload.type === 'streaming-signed' || payload.type === 'streaming-unsigned-trailer' ? payload : undefined;
  const allowsTrailers = streaming !== undefined && (streaming.type === 'streaming-unsigned-trailer' || streaming.trailer);
  const announcedTrailers = allowsTrailers ? parseTrailerNames(headerValue(headers, 'x-amz-trailer')) : [];
  plan.checksum = expectedChecksum(headers, announcedTrailers);
  if (payload.type === 'sha256') plan.sha256Hex = payload.expectedHex;
  if (streaming) {
    const decodedLength = parseDecodedLength(headerValue(headers, 'x-amz-decoded-content-length'));
    checkSize(decodedLength, maxBytes);
    plan.streaming = { payload: streaming, decodedLength, announcedTrailers };
  } else {
    const contentLength = headerValue(headers, 'content-length');
    if (contentLength !== undefined && /^\d+$/.test(contentLength)) {
      plan.declaredLength = Number(contentLength);
      checkSize(plan.declaredLength, maxBytes);
    }
  }
  return plan;
}

/** All values of a header joined as one field would be; undefined when absent. */
function headerValue(headers: Record<string, string[]>, name: string): string | undefined {
  const values = headers[name];
  return values && values.length > 0 ? values.join(', ') : undefined;
}

function parseContentMd5(sent: string | undefined): UploadPlan['contentMd5'] {
  if (sent === undefined) return undefined;
  if (!isBase64OfLength(sent, 16)) throw new S3Error('InvalidDigest', { elements: { 'Content-MD5': sent } });
  return { sent, digest: Buffer.from(sent, 'base64') };
}

function parseTrailerNames(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((n) => n.trim().toLowerCase())
    .filter((n) => n !== '');
}

/**
 * The one checksum the client sent, as a header or announced as a trailer. A header and a
 * trailer of the same algorithm are both checked; two algorithms are refused (UNVERIFIED for
 * the header+trailer combination, which no SDK sends).
 */
function expectedChecksum(headers: Record<string, string[]>, announcedTrailers: string[]): ExpectedChecksum | undefined {
  const inHeaders = CHECKSUM_ALGORITHMS.filter((alg) => headers[checksumHeaderName(alg)] !== undefined);
  const inTrailers = announcedTrailers
    .map((name) => ({ name, algorithm: checksumAlgorithmFromHeader(name) }))
    .filter((t): t is { name: string; algorithm: ChecksumAlgorithm } => t.algorithm !== undefined);
  const algorithms = new Set([...inHeaders, ...inTrailers.map((t) => t.algorithm)]);
  if (algorithms.size > 1 || inTrailers.length > 1) throw new S3Error('MultipleChecksums');
  const [algorithm] = algorithms;
  if (algorithm === undefined) return undefined;
  const expected: ExpectedChecksum = { algorithm, trailerName: inTrailers[0]?.name };
  const sent = headerValue(headers, checksumHeaderName(algorithm));
  if (sent !== undefined) expected.headerValue = decodeChecksumValue(algorithm, sent);
  return expected;
}

function decodeChecksumValue(algorithm: ChecksumAlgorithm, value: string): Buffer {
  if (!isValidChecksumValue(algorithm, value)) {
    throw new S3Error('ChecksumInvalid', { message: `Value for ${checksumHeaderName(algorithm)} header is invalid.` });
  }
  return Buffer.from(value, 'base64');
}

/**
 * x-amz-decoded-content-length is required for every aws-chunked body [S3-CHUNK]. S3 answered
 * an unparseable value with 411 MissingContentLength (versity/versitygw#1656, AWS-observed);
 * a missing header is assumed to get the same answer (UNVERIFIED).
 */
function parseDecodedLength(value: string | undefined): number {
  if (value === undefined || !/^\d{1,16}$/.test(value)) throw new S3Error('MissingContentLength');
  return Number(value);
}

function checkSize(proposed: number, maxBytes: number): void {
  if (proposed > maxBytes) throw entityTooLarge(proposed, maxBytes);
}

/**
 * POST's own wording for content-length-range (rows 37-38), which differs from PutObject's
 * "…maximum allowed object size." in the catalogue.
 */
const POST_TOO_LARGE = 'Your proposed upload exceeds the maximum allowed size';
const POST_TOO_SMALL = 'Your proposed upload is smaller than the minimum allowed size';

function entityTooLarge(proposed: number, maxBytes: number): S3Error {
  return new S3Error('EntityTooLarge', { elements: { ProposedSize: String(proposed), MaxSizeAllowed: String(maxBytes) } });
}

// ---- the verifier (streaming checks)

/** The streaming checks, fed chunk by chunk: by the verifier stage, or by readWhole. */
class BodyChecks {
  result?: UploadBodyResult;
  /** Bytes received so far */
  size = 0;
  private readonly md5: Hash = createHash('md5');
  private readonly sha256?: Hash;
  private readonly checksum?: ChecksumCalculator;

  constructor(
    readonly plan: UploadPlan,
    private readonly decoder: AwsChunkedDecoder | undefined,
    readonly steps: VerificationStep[] | undefined,
  ) {
    if (plan.sha256Hex) this.sha256 = createHash('sha256');
    if (plan.checksum) this.checksum = createChecksum(plan.checksum.algorithm);
  }

  /** Hashes a chunk; the refusal (with the trace) when the body is already too long. */
  update(chunk: Buffer): S3Error | undefined {
    this.size += chunk.length;
    const tooMuch = this.checkRunningSize();
    if (tooMuch) return withStep(tooMuch, this.steps);
    this.md5.update(chunk);
    this.sha256?.update(chunk);
    this.checksum?.update(chunk);
    return undefined;
  }

  /** At the body's end: every check, the 'payload' step; throws the refusal with the trace. */
  finish(): void {
    const md5 = this.md5.digest();
    try {
      this.checkMinimumSize();
      this.checkDecodedLength();
      this.checkSha256();
      this.checkContentMd5(md5);
      const checksum = this.checkChecksum();
      this.result = { size: this.size, md5Hex: md5.toString('hex'), checksum };
      this.steps?.push(payloadStep(true, this.describe(checksum)));
    } catch (err) {
      throw withStep(err as Error, this.steps);
    }
  }

  resultOrThrow(): UploadBodyResult {
    if (!this.result) throw new Error('the upload body has not ended yet');
    return this.result;
  }

  /**
   * Fails as soon as the body is known to be too long, before more of it reaches disk: a body
   * far over the limit is cut off rather than read to its end.
   *
   * POST's content-length-range: ProposedSize is the number of bytes received when the limit
   * was passed, a lower bound of the file's size, since the rest is never read. UNVERIFIED: S3
   * may report the whole size (it reads the whole body).
   */
  private checkRunningSize(): S3Error | undefined {
    const range = this.plan.sizeRange;
    if (range && this.size > range.max) {
      return new S3Error('EntityTooLarge', { message: POST_TOO_LARGE, elements: { ProposedSize: String(this.size), MaxSizeAllowed: String(range.max) } });
    }
    if (this.size > this.plan.maxBytes) return entityTooLarge(this.size, this.plan.maxBytes);
    const declared = this.plan.streaming?.decodedLength;
    if (declared !== undefined && this.size > declared) return incompleteBody(declared, this.size);
    return undefined;
  }

  /** POST's content-length-range, at the body's end. */
  private checkMinimumSize(): void {
    const range = this.plan.sizeRange;
    if (range && this.size < range.min) {
      throw new S3Error('EntityTooSmall', { message: POST_TOO_SMALL, elements: { ProposedSize: String(this.size), MinSizeAllowed: String(range.min) } });
    }
  }

  private checkDecodedLength(): void {
    const declared = this.plan.streaming?.decodedLength;
    if (declared !== undefined && this.size !== declared) throw incompleteBody(declared, this.size);
  }

  private checkSha256(): void {
    if (!this.sha256 || !this.plan.sha256Hex) return;
    const computed = this.sha256.digest('hex');
    if (computed !== this.plan.sha256Hex.toLowerCase()) {
      throw new S3Error('XAmzContentSHA256Mismatch', {
        elements: { ClientComputedContentSHA256: this.plan.sha256Hex, S3ComputedContentSHA256: computed },
      });
    }
  }

  private checkContentMd5(md5: Buffer): void {
    const sent = this.plan.contentMd5;
    if (!sent || sent.digest.equals(md5)) return;
    throw new S3Error('BadDigest', {
      elements: { ExpectedDigest: expectedDigestElement(this.plan.operation, sent), CalculatedDigest: md5.toString('base64') },
    });
  }

  private checkChecksum(): StoredChecksum | undefined {
    const expected = this.plan.checksum;
    if (!expected || !this.checksum) return undefined;
    const computed = this.checksum.digest();
    const sentValues = [expected.headerValue, this.trailerValue(expected)];
    for (const sent of sentValues) {
      if (sent !== undefined && !sent.equals(computed)) {
        throw new S3Error('ChecksumMismatch', { message: `The ${expected.algorithm} you specified did not match the calculated checksum.` });
      }
    }
    return { algorithm: expected.algorithm, value: computed.toString('base64'), type: 'FULL_OBJECT' };
  }

  /** The decoder has already insisted that every announced trailer arrived. */
  private trailerValue(expected: ExpectedChecksum): Buffer | undefined {
    if (!expected.trailerName || !this.decoder) return undefined;
    const value = this.decoder.trailers[expected.trailerName];
    if (value === undefined) return undefined;
    // UNVERIFIED: AWS's wording for a malformed trailer value; the header's is used.
    return decodeChecksumValue(expected.algorithm, value);
  }

  private describe(checksum: StoredChecksum | undefined): string {
    const checked = [
      this.plan.streaming?.payload.type === 'streaming-signed' ? 'chunk signatures' : undefined,
      this.sha256 ? 'x-amz-content-sha256' : undefined,
      this.plan.contentMd5 ? 'Content-MD5' : undefined,
      checksum ? checksum.algorithm : undefined,
    ].filter((c) => c !== undefined);
    return `${this.size} bytes received${checked.length > 0 ? `; ${checked.join(', ')} verified` : ''}`;
  }
}

/** The checks as a stream stage: chunks pass through once hashed; a refusal errors the stream. */
class UploadVerifier extends Transform {
  constructor(readonly checks: BodyChecks) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const tooMuch = this.checks.update(chunk);
    if (tooMuch) callback(tooMuch);
    else callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.checks.finish();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }
}

/**
 * §3.4 quirk, AWS-observed: PutObject echoes the sent Content-MD5 as hex in ExpectedDigest,
 * UploadPart as the base64 that was sent. POST Object is unobserved; it gets base64.
 */
function expectedDigestElement(operation: UploadPlan['operation'], sent: { sent: string; digest: Buffer }): string {
  return operation === 'PutObject' ? sent.digest.toString('hex') : sent.sent;
}

function incompleteBody(declared: number, received: number): S3Error {
  return traced(new S3Error('IncompleteBody'), { 'x-amz-decoded-content-length': String(declared), received: String(received) });
}

// ---- errors and the trace

const CHUNKED_REASONS: Record<AwsChunkedError['reason'], ErrorReason> = {
  ChunkSignatureMismatch: 'ChunkSignatureMismatch',
  MalformedChunkedEncoding: 'MalformedChunkedEncoding',
  TrailerChecksumMissing: 'TrailerChecksumMissing',
};

/** Trace details of a refusal that are not XML elements (e.g. the chunk string to sign). */
const traceDetails = new WeakMap<S3Error, Record<string, string>>();

function traced(err: S3Error, detail: Record<string, string>): S3Error {
  traceDetails.set(err, detail);
  return err;
}

function toS3Error(err: Error, plan: UploadPlan): Error {
  if (err instanceof AwsChunkedError) {
    return traced(new S3Error(CHUNKED_REASONS[err.reason], { cause: err }), { summary: err.message, ...err.detail });
  }
  // A client that went away mid-body: not an internal error.
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET') {
    return traced(new S3Error('IncompleteBody', { cause: err }), { summary: 'the client closed the connection mid-body' });
  }
  if (plan.sourceErrorReason && !(err instanceof S3Error)) return traced(new S3Error(plan.sourceErrorReason, { cause: err }), { summary: err.message });
  return err;
}

/** Appends a failed 'payload' step to the trace and attaches the trace to an S3Error. */
function withStep<E>(err: E, steps: VerificationStep[] | undefined): E {
  if (!(err instanceof S3Error) || !steps) return err;
  if (err.steps !== steps) {
    const detail = { reason: err.reason, ...traceDetails.get(err), ...err.elements };
    steps.push(payloadStep(false, `${err.code}: ${err.message}`, detail));
    err.steps = steps;
  }
  return err;
}

function payloadStep(ok: boolean, summary: string, detail: Record<string, string> = {}): VerificationStep {
  return { name: 'payload', ok, summary, detail };
}
