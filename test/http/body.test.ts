import { createHash } from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PutObjectCommand, S3Client, type ChecksumAlgorithm as SdkChecksumAlgorithm } from '@aws-sdk/client-s3';
import { HttpResponse, type HttpRequest } from '@smithy/protocol-http';
import { describe, expect, it } from 'vitest';
import type { PayloadMode, VerificationStep } from '../../src/auth/types.ts';
import { prepareUploadBody, SMALL_BODY_BYTES, type UploadBody, type UploadBodyOptions } from '../../src/http/body.ts';
import { S3Error } from '../../src/http/s3-errors.ts';
import { AWS_EXAMPLE, encodeSigned, encodeUnsigned } from '../unit/chunked/encoder.ts';

const TEXT = Buffer.from('Welcome to Amazon S3.');
const TEXT_SHA256 = '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072'; // reference §7.2
const TEXT_MD5 = createHash('md5').update(TEXT).digest();
const OTHER_MD5 = createHash('md5').update('something else').digest();
const A_66560 = Buffer.alloc(66560, 'a');

const UNSIGNED: PayloadMode = { type: 'unsigned' };
const UNSIGNED_TRAILER: PayloadMode = { type: 'streaming-unsigned-trailer' };

function headers(h: Record<string, string>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), [v]]));
}

function source(...pieces: Buffer[]): Readable {
  return Readable.from(pieces);
}

interface Outcome {
  out: Buffer;
  ended: boolean;
  error?: S3Error;
}

/**
 * The body read whole: what a body with a Content-Length up to SMALL_BODY_BYTES gets, and one
 * of unknown length that ends within it.
 */
async function wholeOf(body: UploadBody): Promise<Buffer> {
  if (body.content instanceof Readable) throw new Error('expected a body read whole');
  const content = await body.content;
  if (content instanceof Readable) throw new Error('expected a body read whole, got a stream');
  return content;
}

/** Reads the body as the blob store would; reports whether it ended or errored. */
async function consume(body: UploadBody): Promise<Outcome> {
  let content: Buffer | Readable;
  try {
    content = await body.content;
  } catch (error) {
    if (!(error instanceof S3Error)) throw error;
    return { out: Buffer.alloc(0), ended: false, error };
  }
  if (!(content instanceof Readable)) return { out: content, ended: true };
  const stream = content;
  // Refused while the stream waited for its consumer (its buffered bytes are gone with it).
  if (stream.errored) {
    if (!(stream.errored instanceof S3Error)) throw stream.errored;
    return { out: Buffer.alloc(0), ended: false, error: stream.errored };
  }
  const out: Buffer[] = [];
  let ended = false;
  const error = await new Promise<unknown>((resolve) => {
    stream.on('data', (c: Buffer) => out.push(c));
    stream.on('end', () => {
      ended = true;
      resolve(undefined);
    });
    stream.on('error', resolve);
  });
  await new Promise((r) => setImmediate(r)); // an 'end' after the error would show up here
  if (error !== undefined && !(error instanceof S3Error)) throw error;
  return { out: Buffer.concat(out), ended, error: error as S3Error | undefined };
}

async function upload(src: Readable, opts: UploadBodyOptions): Promise<Outcome> {
  return consume(prepareUploadBody(src, opts));
}

function thrown(fn: () => unknown): S3Error {
  try {
    fn();
  } catch (err) {
    if (err instanceof S3Error) return err;
    throw err;
  }
  throw new Error('expected an S3Error to be thrown');
}

function expectRefused(r: Outcome, code: string, reason: string): S3Error {
  expect(r.ended).toBe(false);
  expect(r.error).toBeInstanceOf(S3Error);
  expect(r.error!.code).toBe(code);
  expect(r.error!.reason).toBe(reason);
  return r.error!;
}

// ---- §7.3 chunked examples, written from the documented signatures via the test encoder

const SIGNED_SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
const TRAILER_SEED = '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e';
const A64K = Buffer.alloc(65536, 'a');
const A1K = Buffer.alloc(1024, 'a');

function signedPayload(seedSignature: string, trailer: boolean): PayloadMode {
  return { type: 'streaming-signed', trailer, signing: { ...AWS_EXAMPLE, seedSignature } };
}

describe('header checks, thrown before any byte is read', () => {
  it.each([
    ['MTIz', 'base64 of 3 bytes'],
    ['not base64 at all!', 'garbage'],
    [TEXT_MD5.toString('hex'), 'hex instead of base64'],
  ])('Content-MD5 %j (%s) -> 400 InvalidDigest with a Content-MD5 element', (value) => {
    const src = new PassThrough();
    const err = thrown(() => prepareUploadBody(src, { payload: UNSIGNED, headers: headers({ 'content-md5': value }) }));
    expect([err.status, err.code, err.message]).toEqual([400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.']);
    expect(err.elements).toEqual({ 'Content-MD5': value });
    expect(src.listenerCount('data')).toBe(0);
    expect(src.readableFlowing).toBe(null);
  });

  it('two different x-amz-checksum-* headers -> 400 InvalidRequest MultipleChecksums', () => {
    const err = thrown(() =>
      prepareUploadBody(source(TEXT), {
        payload: UNSIGNED,
        headers: headers({ 'x-amz-checksum-crc32': 'AAAAAA==', 'x-amz-checksum-sha1': 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' }),
      }),
    );
    expect([err.status, err.code, err.reason]).toEqual([400, 'InvalidRequest', 'MultipleChecksums']);
    expect(err.message).toBe('Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  });

  it('a checksum header plus a trailer of another algorithm -> MultipleChecksums', () => {
    const err = thrown(() =>
      prepareUploadBody(source(), {
        payload: UNSIGNED_TRAILER,
        headers: headers({ 'x-amz-checksum-sha256': TEXT_MD5.toString('base64'), 'x-amz-trailer': 'x-amz-checksum-crc32', 'x-amz-decoded-content-length': '0' }),
      }),
    );
    expect(err.reason).toBe('MultipleChecksums');
  });

  it.each([
    ['x-amz-checksum-crc32', 'MTIz'],
    ['x-amz-checksum-crc32c', 'AAAAAAAAAAA='],
    ['x-amz-checksum-crc64nvme', 'AAAAAA=='],
    ['x-amz-checksum-sha256', 'AAAAAA=='],
  ])('%s: %j -> 400 InvalidRequest "Value for %s header is invalid."', (name, value) => {
    const err = thrown(() => prepareUploadBody(source(TEXT), { payload: UNSIGNED, headers: headers({ [name]: value }) }));
    expect([err.status, err.code, err.reason]).toEqual([400, 'InvalidRequest', 'ChecksumInvalid']);
    expect(err.message).toBe(`Value for ${name} header is invalid.`);
  });

  it.each([
    ['missing', {}],
    ['not a number', { 'x-amz-decoded-content-length': 'abc' }],
    ['negative', { 'x-amz-decoded-content-length': '-1' }],
  ])('aws-chunked with x-amz-decoded-content-length %s -> 411 MissingContentLength', (_name, h) => {
    const err = thrown(() => prepareUploadBody(source(), { payload: UNSIGNED_TRAILER, headers: headers(h as Record<string, string>) }));
    expect([err.status, err.code]).toEqual([411, 'MissingContentLength']);
  });

  it('Content-Length above the limit -> 400 EntityTooLarge with ProposedSize and MaxSizeAllowed', () => {
    const err = thrown(() => prepareUploadBody(source(), { payload: UNSIGNED, headers: headers({ 'content-length': '5368709121' }) }));
    expect([err.status, err.code]).toEqual([400, 'EntityTooLarge']);
    expect(err.elements).toEqual({ ProposedSize: '5368709121', MaxSizeAllowed: '5368709120' });
  });

  it('x-amz-decoded-content-length above maxBytes -> EntityTooLarge (the encoded Content-Length may exceed it)', () => {
    const h = headers({ 'content-length': '1200', 'x-amz-decoded-content-length': '1001' });
    const err = thrown(() => prepareUploadBody(source(), { payload: UNSIGNED_TRAILER, headers: h, maxBytes: 1000 }));
    expect(err.elements).toEqual({ ProposedSize: '1001', MaxSizeAllowed: '1000' });
    const okHeaders = headers({ 'content-length': '1200', 'x-amz-decoded-content-length': '1000' });
    expect(() => prepareUploadBody(source(), { payload: UNSIGNED_TRAILER, headers: okHeaders, maxBytes: 1000 })).not.toThrow();
  });

  it('a refusal appends a failed payload step to the trace it was given', () => {
    const steps: VerificationStep[] = [{ name: 'signature', ok: true, summary: 'ok', detail: {} }];
    const err = thrown(() => prepareUploadBody(source(), { payload: UNSIGNED, headers: headers({ 'content-md5': 'MTIz' }), steps }));
    expect(err.steps).toBe(steps);
    expect(steps.map((s) => [s.name, s.ok])).toEqual([
      ['signature', true],
      ['payload', false],
    ]);
  });
});

describe('plain bodies: happy paths', () => {
  it('UNSIGNED-PAYLOAD: bytes pass through; size and MD5 are reported; no checksum stored', async () => {
    const body = prepareUploadBody(source(TEXT.subarray(0, 5), TEXT.subarray(5)), { payload: UNSIGNED, headers: {} });
    const r = await consume(body);
    expect(r.error).toBeUndefined();
    expect(r.out.equals(TEXT)).toBe(true);
    expect(body.result()).toEqual({ size: TEXT.length, md5Hex: TEXT_MD5.toString('hex') });
  });

  it('hex x-amz-content-sha256, Content-MD5 and x-amz-checksum-crc32 all matching -> stored CRC32 FULL_OBJECT', async () => {
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE((await import('node:zlib')).crc32(TEXT));
    const steps: VerificationStep[] = [];
    const body = prepareUploadBody(source(TEXT), {
      payload: { type: 'sha256', expectedHex: TEXT_SHA256 },
      headers: headers({ 'content-md5': TEXT_MD5.toString('base64'), 'x-amz-checksum-crc32': crc.toString('base64') }),
      steps,
    });
    const r = await consume(body);
    expect(r.error).toBeUndefined();
    expect(body.result().checksum).toEqual({ algorithm: 'CRC32', value: crc.toString('base64'), type: 'FULL_OBJECT' });
    expect(steps).toHaveLength(1);
    expect(steps[0]).toMatchObject({ name: 'payload', ok: true });
    expect(steps[0].summary).toContain('x-amz-content-sha256, Content-MD5, CRC32 verified');
  });

  it('result() before the end throws', () => {
    const body = prepareUploadBody(new PassThrough(), { payload: UNSIGNED, headers: {} });
    expect(() => body.result()).toThrow(/not ended/);
  });
});

describe('plain bodies: refusals come as stream errors, before the end', () => {
  it('hex x-amz-content-sha256 differs -> 400 XAmzContentSHA256Mismatch with both hashes', async () => {
    const claimed = 'a'.repeat(64);
    const r = await upload(source(TEXT), { payload: { type: 'sha256', expectedHex: claimed }, headers: {} });
    const err = expectRefused(r, 'XAmzContentSHA256Mismatch', 'XAmzContentSHA256Mismatch');
    expect(err.status).toBe(400);
    expect(err.message).toBe("The provided 'x-amz-content-sha256' header does not match what was computed.");
    expect(err.elements).toEqual({ ClientComputedContentSHA256: claimed, S3ComputedContentSHA256: TEXT_SHA256 });
  });

  it('Content-MD5 differs on PutObject -> BadDigest, ExpectedDigest in hex (AWS quirk), CalculatedDigest base64', async () => {
    const r = await upload(source(TEXT), { payload: UNSIGNED, headers: headers({ 'content-md5': OTHER_MD5.toString('base64') }) });
    const err = expectRefused(r, 'BadDigest', 'BadDigest');
    expect(err.message).toBe('The Content-MD5 you specified did not match what we received.');
    expect(err.elements).toEqual({ ExpectedDigest: OTHER_MD5.toString('hex'), CalculatedDigest: TEXT_MD5.toString('base64') });
  });

  it('Content-MD5 differs on UploadPart -> ExpectedDigest echoes the base64 sent', async () => {
    const r = await upload(source(TEXT), {
      payload: UNSIGNED,
      headers: headers({ 'content-md5': OTHER_MD5.toString('base64') }),
      operation: 'UploadPart',
    });
    const err = expectRefused(r, 'BadDigest', 'BadDigest');
    expect(err.elements).toEqual({ ExpectedDigest: OTHER_MD5.toString('base64'), CalculatedDigest: TEXT_MD5.toString('base64') });
  });

  it.each([
    ['x-amz-checksum-crc32', 'CRC32', 'AAAAAA=='],
    ['x-amz-checksum-crc32c', 'CRC32C', 'AAAAAA=='],
    ['x-amz-checksum-crc64nvme', 'CRC64NVME', 'AAAAAAAAAAA='],
    ['x-amz-checksum-sha1', 'SHA1', 'AAAAAAAAAAAAAAAAAAAAAAAAAAA='],
    ['x-amz-checksum-sha256', 'SHA256', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='],
  ])('%s differs -> 400 BadDigest "The %s you specified did not match the calculated checksum."', async (name, alg, value) => {
    const r = await upload(source(TEXT), { payload: UNSIGNED, headers: headers({ [name]: value }) });
    const err = expectRefused(r, 'BadDigest', 'ChecksumMismatch');
    expect(err.status).toBe(400);
    expect(err.message).toBe(`The ${alg} you specified did not match the calculated checksum.`);
    expect(err.elements).toEqual({});
  });

  it('a body longer than maxBytes (no Content-Length) -> EntityTooLarge as soon as it passes the limit', async () => {
    const pieces = Array.from({ length: 20 }, () => Buffer.alloc(10, 'x'));
    const r = await upload(source(...pieces), { payload: UNSIGNED, headers: {}, maxBytes: 45 });
    const err = expectRefused(r, 'EntityTooLarge', 'EntityTooLarge');
    expect(err.elements).toEqual({ ProposedSize: '50', MaxSizeAllowed: '45' });
    expect(r.out.length).toBe(0);
  });

  it('the same past 64 KiB, once streaming: refused at the first piece past the limit', async () => {
    const pieces = Array.from({ length: 10 }, () => Buffer.alloc(10_000, 'x'));
    const r = await upload(source(...pieces), { payload: UNSIGNED, headers: {}, maxBytes: 75_000 });
    const err = expectRefused(r, 'EntityTooLarge', 'EntityTooLarge');
    expect(err.elements).toEqual({ ProposedSize: '80000', MaxSizeAllowed: '75000' });
    expect(r.out.length).toBeLessThanOrEqual(70_000);
  });

  it('a client that goes away mid-body -> IncompleteBody, never a clean end', async () => {
    const src = new PassThrough();
    const body = prepareUploadBody(src, { payload: UNSIGNED, headers: {} });
    const outcome = consume(body);
    src.write(TEXT);
    src.destroy();
    const r = await outcome;
    expectRefused(r, 'IncompleteBody', 'IncompleteBody');
  });

  it('a refusal before the consumer attaches is not lost (and no unheard error event crashes the process)', async () => {
    const src = new PassThrough();
    const body = prepareUploadBody(src, { payload: UNSIGNED, headers: headers({ 'content-length': String(A_66560.length) }) });
    src.write(A_66560.subarray(0, 1000));
    src.destroy();
    await new Promise((r) => setTimeout(r, 20));
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    expect(body.content).toBeInstanceOf(Readable);
    await expect(pipeline(body.content as Readable, sink)).rejects.toMatchObject({ code: 'IncompleteBody' });
  });

  it('a failed check leaves the source unpiped and not destroyed, so the server can still answer', async () => {
    const src = new PassThrough();
    const body = prepareUploadBody(src, { payload: UNSIGNED, headers: {}, maxBytes: 4 });
    const outcome = consume(body);
    src.write(TEXT);
    await outcome;
    expect(src.destroyed).toBe(false);
    expect(src.listenerCount('data')).toBe(0);
  });
});

describe('small bodies (Content-Length up to 64 KiB, not aws-chunked) are read whole, with the same checks', () => {
  const withLength = (h: Record<string, string>, length: number) => headers({ ...h, 'content-length': String(length) });

  it('a body of 64 KiB is read whole (one Buffer, the bytes as sent); one byte more, or aws-chunked, is streamed', async () => {
    const at = (length: number) => prepareUploadBody(source(Buffer.alloc(length, 'a')), { payload: UNSIGNED, headers: withLength({}, length) });
    const whole = at(SMALL_BODY_BYTES);
    expect(whole.content).toBeInstanceOf(Promise);
    expect((await wholeOf(whole)).equals(Buffer.alloc(SMALL_BODY_BYTES, 'a'))).toBe(true);
    expect(at(SMALL_BODY_BYTES + 1).content).toBeInstanceOf(Readable);
    const chunked = prepareUploadBody(source(), {
      payload: UNSIGNED_TRAILER,
      headers: headers({ 'content-length': '100', 'x-amz-decoded-content-length': '3', 'x-amz-trailer': 'x-amz-checksum-crc32' }),
    });
    expect(chunked.content).toBeInstanceOf(Readable);
  });

  it('pieces are joined in order; SHA-256, Content-MD5 and CRC32 are checked; the payload step is traced', async () => {
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE((await import('node:zlib')).crc32(TEXT));
    const steps: VerificationStep[] = [];
    const body = prepareUploadBody(source(TEXT.subarray(0, 3), TEXT.subarray(3, 9), TEXT.subarray(9)), {
      payload: { type: 'sha256', expectedHex: TEXT_SHA256 },
      headers: withLength({ 'content-md5': TEXT_MD5.toString('base64'), 'x-amz-checksum-crc32': crc.toString('base64') }, TEXT.length),
      steps,
    });
    expect((await wholeOf(body)).equals(TEXT)).toBe(true);
    expect(body.result()).toEqual({ size: TEXT.length, md5Hex: TEXT_MD5.toString('hex'), checksum: { algorithm: 'CRC32', value: crc.toString('base64'), type: 'FULL_OBJECT' } });
    expect(steps.map((st) => [st.name, st.ok])).toEqual([['payload', true]]);
    expect(steps[0]!.summary).toBe(`${TEXT.length} bytes received; x-amz-content-sha256, Content-MD5, CRC32 verified`);
  });

  it.each([
    ['x-amz-content-sha256 differs', { type: 'sha256', expectedHex: 'a'.repeat(64) } as PayloadMode, {}, 'XAmzContentSHA256Mismatch', 'XAmzContentSHA256Mismatch'],
    ['Content-MD5 differs', UNSIGNED, { 'content-md5': OTHER_MD5.toString('base64') }, 'BadDigest', 'BadDigest'],
    ['x-amz-checksum-crc32 differs', UNSIGNED, { 'x-amz-checksum-crc32': 'AAAAAA==' }, 'BadDigest', 'ChecksumMismatch'],
  ])('%s -> the same refusal as streamed, with the failed payload step in its trace', async (_name, payload, h, code, reason) => {
    const steps: VerificationStep[] = [];
    const body = prepareUploadBody(source(TEXT), { payload, headers: withLength(h, TEXT.length), steps });
    const streamed = await upload(source(TEXT), { payload, headers: headers(h) });
    const error = await wholeOf(body).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(S3Error);
    expect([(error as S3Error).code, (error as S3Error).reason]).toEqual([code, reason]);
    expect((error as S3Error).elements).toEqual(streamed.error!.elements);
    expect((error as S3Error).steps).toBe(steps);
    expect(steps.map((st) => [st.name, st.ok])).toEqual([['payload', false]]);
    expect(() => body.result()).toThrow(/not ended/);
  });

  it('a request already gone when the body is asked for -> IncompleteBody, not a wait forever', async () => {
    const src = new PassThrough();
    src.destroy();
    const body = prepareUploadBody(src, { payload: UNSIGNED, headers: withLength({}, 5) });
    await expect(wholeOf(body)).rejects.toMatchObject({ code: 'IncompleteBody' });
  });

  it('a client that goes away mid-body -> IncompleteBody, even before anything awaits the body', async () => {
    const src = new PassThrough();
    const body = prepareUploadBody(src, { payload: UNSIGNED, headers: withLength({}, 100) });
    src.write(TEXT);
    src.destroy();
    // No one awaits yet: an unhandled rejection here would fail the run.
    await new Promise((r) => setTimeout(r, 20));
    await expect(wholeOf(body)).rejects.toMatchObject({ code: 'IncompleteBody' });
  });
});

describe('bodies of unknown length (a POST file): read whole up to 64 KiB, streamed past it', () => {
  const TENS = Array.from({ length: 10 }, (_, i) => Buffer.alloc(10_000, 65 + i));
  const WHOLE = Buffer.concat(TENS);
  const WHOLE_MD5 = createHash('md5').update(WHOLE).digest();

  it('64 KiB in pieces is one Buffer; 100,000 bytes come out as a stream, every byte in order, hashed as one body', async () => {
    const pieces = Array.from({ length: 8 }, (_, i) => Buffer.alloc(SMALL_BODY_BYTES / 8, 97 + i));
    const small = prepareUploadBody(source(...pieces), { payload: UNSIGNED, headers: {} });
    expect((await wholeOf(small)).equals(Buffer.concat(pieces))).toBe(true);

    const big = prepareUploadBody(source(...TENS), { payload: UNSIGNED, headers: headers({ 'content-md5': WHOLE_MD5.toString('base64') }) });
    expect(await big.content).toBeInstanceOf(Readable);
    const r = await consume(big);
    expect(r.ended).toBe(true);
    expect(r.out.equals(WHOLE)).toBe(true);
    expect(big.result()).toEqual({ size: WHOLE.length, md5Hex: WHOLE_MD5.toString('hex'), checksum: undefined });
  });

  it('a Content-MD5 that differs is refused past 64 KiB too: the head and the rest are one body to the checks', async () => {
    const r = await upload(source(...TENS), { payload: UNSIGNED, headers: headers({ 'content-md5': OTHER_MD5.toString('base64') }), operation: 'PostObject' });
    const err = expectRefused(r, 'BadDigest', 'BadDigest');
    expect(err.elements).toEqual({ ExpectedDigest: OTHER_MD5.toString('base64'), CalculatedDigest: WHOLE_MD5.toString('base64') });
  });

  it.each([
    ['in the part read whole', Array.from({ length: 20 }, () => Buffer.alloc(10, 'x')), 45, '50'],
    ['in the streamed part', TENS, 75_000, '80000'],
  ])("sizeRange's maximum passed %s -> EntityTooLarge in POST's words, ProposedSize = the bytes received by then", async (_where, pieces, max, proposed) => {
    const r = await upload(source(...pieces), { payload: UNSIGNED, headers: {}, sizeRange: { min: 0, max } });
    const err = expectRefused(r, 'EntityTooLarge', 'EntityTooLarge');
    expect(err.message).toBe('Your proposed upload exceeds the maximum allowed size');
    expect(err.elements).toEqual({ ProposedSize: proposed, MaxSizeAllowed: String(max) });
  });

  it.each([
    ['read whole', [TEXT], 100, TEXT.length],
    ['streamed', TENS, 200_000, WHOLE.length],
  ])("a body under sizeRange's minimum (%s) -> EntityTooSmall in POST's words, at its end", async (_how, pieces, min, size) => {
    const r = await upload(source(...pieces), { payload: UNSIGNED, headers: {}, sizeRange: { min, max: 1_000_000 } });
    const err = expectRefused(r, 'EntityTooSmall', 'EntityTooSmall');
    expect(err.message).toBe('Your proposed upload is smaller than the minimum allowed size');
    expect(err.elements).toEqual({ ProposedSize: String(size), MinSizeAllowed: String(min) });
  });

  it('bounds are inclusive: a body exactly at the minimum and at the maximum is accepted', async () => {
    const r = await upload(source(...TENS), { payload: UNSIGNED, headers: {}, sizeRange: { min: WHOLE.length, max: WHOLE.length } });
    expect(r.ended).toBe(true);
    expect(r.out.equals(WHOLE)).toBe(true);
  });

  it('a source already destroyed with an error (emitted on the next tick) is that refusal, never an unhandled error', async () => {
    const src = new PassThrough();
    src.destroy(new Error('Unexpected end of form'));
    const r = await upload(src, { payload: UNSIGNED, headers: {}, sourceErrorReason: 'MalformedPOSTRequest' });
    expectRefused(r, 'MalformedPOSTRequest', 'MalformedPOSTRequest');
    await new Promise((resolve) => setTimeout(resolve, 20));
  });

  it.each([
    ['before 64 KiB', [TEXT]],
    ['past 64 KiB', TENS],
  ])('a source error that is not an S3 error (%s) is sourceErrorReason when one is given, else passed on as it is', async (_when, pieces) => {
    const failing = () =>
      new Readable({
        read() {
          for (const piece of pieces) this.push(piece);
          this.destroy(new Error('Unexpected end of form'));
        },
      });
    const r = await upload(failing(), { payload: UNSIGNED, headers: {}, sourceErrorReason: 'MalformedPOSTRequest' });
    expectRefused(r, 'MalformedPOSTRequest', 'MalformedPOSTRequest');
    await expect(upload(failing(), { payload: UNSIGNED, headers: {} })).rejects.toThrow('Unexpected end of form');
  });
});

describe('aws-chunked bodies', () => {
  it('§7.3 signed example -> 66560 bytes, MD5 of the data, no checksum', async () => {
    const { body: encoded } = encodeSigned([A64K, A1K], { ...AWS_EXAMPLE, seedSignature: SIGNED_SEED });
    const body = prepareUploadBody(source(encoded), {
      payload: signedPayload(SIGNED_SEED, false),
      headers: headers({ 'content-length': '66824', 'x-amz-decoded-content-length': '66560', 'content-encoding': 'aws-chunked' }),
    });
    const r = await consume(body);
    expect(r.error).toBeUndefined();
    expect(r.out.equals(A_66560)).toBe(true);
    expect(body.result()).toEqual({ size: 66560, md5Hex: createHash('md5').update(A_66560).digest('hex') });
  });

  it('§7.3 signed trailer example -> stores the CRC32C trailer sOO8/Q==', async () => {
    const { body: encoded } = encodeSigned([A64K, A1K], {
      ...AWS_EXAMPLE,
      seedSignature: TRAILER_SEED,
      trailers: [['x-amz-checksum-crc32c', 'sOO8/Q==']],
    });
    const body = prepareUploadBody(source(encoded), {
      payload: signedPayload(TRAILER_SEED, true),
      headers: headers({ 'x-amz-decoded-content-length': '66560', 'x-amz-trailer': 'x-amz-checksum-crc32c' }),
    });
    const r = await consume(body);
    expect(r.error).toBeUndefined();
    expect(body.result().checksum).toEqual({ algorithm: 'CRC32C', value: 'sOO8/Q==', type: 'FULL_OBJECT' });
  });

  it('a signed trailer whose checksum is validly signed but wrong -> BadDigest "The CRC32C you specified…"', async () => {
    const { body: encoded } = encodeSigned([A64K, A1K], {
      ...AWS_EXAMPLE,
      seedSignature: TRAILER_SEED,
      trailers: [['x-amz-checksum-crc32c', 'AAAAAA==']],
    });
    const r = await upload(source(encoded), {
      payload: signedPayload(TRAILER_SEED, true),
      headers: headers({ 'x-amz-decoded-content-length': '66560', 'x-amz-trailer': 'x-amz-checksum-crc32c' }),
    });
    const err = expectRefused(r, 'BadDigest', 'ChecksumMismatch');
    expect(err.message).toBe('The CRC32C you specified did not match the calculated checksum.');
  });

  it('a tampered signed chunk -> 403 SignatureDoesNotMatch, with the chunk named in the trace', async () => {
    const { body: encoded } = encodeSigned([A64K, A1K], { ...AWS_EXAMPLE, seedSignature: SIGNED_SEED });
    encoded[70000 - 5000] = 'b'.charCodeAt(0);
    const steps: VerificationStep[] = [];
    const r = await upload(source(encoded), {
      payload: signedPayload(SIGNED_SEED, false),
      headers: headers({ 'x-amz-decoded-content-length': '66560' }),
      steps,
    });
    const err = expectRefused(r, 'SignatureDoesNotMatch', 'ChunkSignatureMismatch');
    expect(err.status).toBe(403);
    expect(r.out.length).toBe(0);
    expect(err.steps).toBe(steps);
    expect(steps[0]).toMatchObject({ name: 'payload', ok: false, detail: { failed: 'chunk 1', reason: 'ChunkSignatureMismatch' } });
    expect(steps[0].detail.stringToSign).toMatch(/^AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n/);
  });

  it('broken framing -> MalformedChunkedEncoding (400 IncompleteBody)', async () => {
    const r = await upload(source(Buffer.from('zz\r\nabc\r\n0\r\n\r\n')), {
      payload: UNSIGNED_TRAILER,
      headers: headers({ 'x-amz-decoded-content-length': '3' }),
    });
    const err = expectRefused(r, 'IncompleteBody', 'MalformedChunkedEncoding');
    expect(err.status).toBe(400);
  });

  it('an announced trailer that never comes -> MalformedTrailerError', async () => {
    const r = await upload(source(encodeUnsigned([TEXT])), {
      payload: UNSIGNED_TRAILER,
      headers: headers({ 'x-amz-decoded-content-length': String(TEXT.length), 'x-amz-trailer': 'x-amz-checksum-crc32' }),
    });
    expectRefused(r, 'MalformedTrailerError', 'TrailerChecksumMissing');
  });

  it('an unsigned trailer that does not match -> BadDigest "The CRC32 you specified…"', async () => {
    const r = await upload(source(encodeUnsigned([A64K, A1K], ['x-amz-checksum-crc32', 'AAAAAA=='])), {
      payload: UNSIGNED_TRAILER,
      headers: headers({ 'x-amz-decoded-content-length': '66560', 'x-amz-trailer': 'x-amz-checksum-crc32' }),
    });
    const err = expectRefused(r, 'BadDigest', 'ChecksumMismatch');
    expect(err.message).toBe('The CRC32 you specified did not match the calculated checksum.');
  });

  it('a malformed trailer checksum value -> InvalidRequest ChecksumInvalid', async () => {
    const r = await upload(source(encodeUnsigned([TEXT], ['x-amz-checksum-crc32', 'MTIz'])), {
      payload: UNSIGNED_TRAILER,
      headers: headers({ 'x-amz-decoded-content-length': String(TEXT.length), 'x-amz-trailer': 'x-amz-checksum-crc32' }),
    });
    const err = expectRefused(r, 'InvalidRequest', 'ChecksumInvalid');
    expect(err.message).toBe('Value for x-amz-checksum-crc32 header is invalid.');
  });

  it.each([
    ['shorter', 66561],
    ['longer', 66559],
  ])('decoded body %s than x-amz-decoded-content-length -> 400 IncompleteBody', async (_name, declared) => {
    const r = await upload(source(encodeUnsigned([A64K, A1K], ['x-amz-checksum-crc32', 'sK4Y7A=='])), {
      payload: UNSIGNED_TRAILER,
      headers: headers({ 'x-amz-decoded-content-length': String(declared), 'x-amz-trailer': 'x-amz-checksum-crc32' }),
    });
    const err = expectRefused(r, 'IncompleteBody', 'IncompleteBody');
    expect(err.message).toBe('You did not provide the number of bytes specified by the Content-Length HTTP header.');
  });
});

// ---- bodies written by the real AWS SDK for JavaScript v3 (an independent encoder and CRC)

/** Runs a PutObject through a handler that only records the request (nothing is sent). */
async function captureSdkPut(input: { Body: Readable | Buffer; ContentLength?: number; ChecksumAlgorithm?: SdkChecksumAlgorithm }) {
  let captured: { headers: Record<string, string>; body: Buffer } | undefined;
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    requestHandler: {
      async handle(request: HttpRequest) {
        const chunks: Buffer[] = [];
        const body = request.body as Readable | Buffer | Uint8Array | string | undefined;
        if (body instanceof Readable) for await (const c of body) chunks.push(Buffer.from(c));
        else if (body !== undefined) chunks.push(Buffer.from(body as Uint8Array));
        captured = { headers: request.headers, body: Buffer.concat(chunks) };
        return { response: new HttpResponse({ statusCode: 200, headers: {}, body: Readable.from([]) }) };
      },
    },
  });
  await client.send(new PutObjectCommand({ Bucket: 'bucket', Key: 'key', ...input }));
  client.destroy();
  if (!captured) throw new Error('nothing captured');
  return captured;
}

function payloadFor(contentSha256: string): PayloadMode {
  if (contentSha256 === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') return UNSIGNED_TRAILER;
  if (/^[0-9a-f]{64}$/.test(contentSha256)) return { type: 'sha256', expectedHex: contentSha256 };
  return UNSIGNED;
}

describe('bodies written by @aws-sdk/client-s3', () => {
  it('a stream PutObject (aws-chunked, STREAMING-UNSIGNED-PAYLOAD-TRAILER, CRC32 trailer) decodes and verifies', async () => {
    const data = [Buffer.alloc(70000, 'z'), Buffer.from('tail'), Buffer.alloc(3, 0)];
    const total = Buffer.concat(data);
    const sent = await captureSdkPut({ Body: Readable.from(data), ContentLength: total.length });
    expect(sent.headers['x-amz-content-sha256']).toBe('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    const body = prepareUploadBody(source(sent.body), { payload: UNSIGNED_TRAILER, headers: headers(sent.headers) });
    const r = await consume(body);
    expect(r.error).toBeUndefined();
    expect(r.out.equals(total)).toBe(true);
    const sdkCrc = /x-amz-checksum-crc32:([^\r]+)\r\n/.exec(sent.body.toString('latin1'))?.[1];
    expect(body.result()).toEqual({
      size: total.length,
      md5Hex: createHash('md5').update(total).digest('hex'),
      checksum: { algorithm: 'CRC32', value: sdkCrc, type: 'FULL_OBJECT' },
    });
  });

  it.each(['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as SdkChecksumAlgorithm[])(
    'a Buffer PutObject with ChecksumAlgorithm %s: the SDK-computed header and body hash verify; the checksum is stored',
    async (alg) => {
      const data = Buffer.from('The quick brown fox jumps over the lazy dog, '.repeat(200));
      const sent = await captureSdkPut({ Body: data, ChecksumAlgorithm: alg });
      const name = `x-amz-checksum-${alg.toLowerCase()}`;
      expect(sent.headers[name]).toBeDefined();
      expect(sent.headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
      const body = prepareUploadBody(source(sent.body), { payload: payloadFor(sent.headers['x-amz-content-sha256']), headers: headers(sent.headers) });
      const r = await consume(body);
      expect(r.error).toBeUndefined();
      expect(body.result().checksum).toEqual({ algorithm: alg, value: sent.headers[name], type: 'FULL_OBJECT' });
    },
  );
});
