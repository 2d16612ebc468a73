import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deriveSigningKey } from '../../../src/sigv4/signing-key.ts';
import {
  AwsChunkedError,
  createAwsChunkedDecoder,
  type AwsChunkedDecoder,
  type AwsChunkedDecoderOptions,
  type StreamingPayloadMode,
} from '../../../src/sigv4/chunked.ts';
import { AWS_EXAMPLE, encodeSigned, encodeUnsigned } from './encoder.ts';

// ---- reference s3-auth.md §7.3: PUT chunkObject.txt, 66560 × 'a' as 65536 + 1024 + 0

const A64K = Buffer.alloc(65536, 'a');
const A1K = Buffer.alloc(1024, 'a');
const DATA = Buffer.concat([A64K, A1K]);

const SIGNED_SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
const SIGNED_CHUNK_SIGS = [
  'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
  '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
  'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
];
const TRAILER_SEED = '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e';
const TRAILER_CHUNK_SIGS = [
  'b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2',
  '1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7',
  '2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992',
];
const TRAILER_SIGNATURE = 'd81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435';

/** The signed example body, written from the documented signatures alone. */
function awsSignedExample(): Buffer {
  const [s1, s2, s0] = SIGNED_CHUNK_SIGS;
  return Buffer.concat([
    Buffer.from(`10000;chunk-signature=${s1}\r\n`),
    A64K,
    Buffer.from(`\r\n400;chunk-signature=${s2}\r\n`),
    A1K,
    Buffer.from(`\r\n0;chunk-signature=${s0}\r\n\r\n`),
  ]);
}

function awsTrailerExample(blankLine = false): Buffer {
  const [s1, s2, s0] = TRAILER_CHUNK_SIGS;
  return Buffer.concat([
    Buffer.from(`10000;chunk-signature=${s1}\r\n`),
    A64K,
    Buffer.from(`\r\n400;chunk-signature=${s2}\r\n`),
    A1K,
    Buffer.from(`\r\n0;chunk-signature=${s0}\r\n${blankLine ? '\r\n' : ''}`),
    Buffer.from(`x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:${TRAILER_SIGNATURE}\r\n\r\n`),
  ]);
}

function signedMode(seedSignature: string, trailer: boolean): StreamingPayloadMode {
  return { type: 'streaming-signed', trailer, signing: { ...AWS_EXAMPLE, seedSignature } };
}

const SIGNED: AwsChunkedDecoderOptions = { payload: signedMode(SIGNED_SEED, false) };
const SIGNED_TRAILER: AwsChunkedDecoderOptions = {
  payload: signedMode(TRAILER_SEED, true),
  announcedTrailers: ['x-amz-checksum-crc32c'],
};
const UNSIGNED_CRC32: AwsChunkedDecoderOptions = {
  payload: { type: 'streaming-unsigned-trailer' },
  announcedTrailers: ['x-amz-checksum-crc32'],
};

interface Outcome {
  decoder: AwsChunkedDecoder;
  out: Buffer;
  ended: boolean;
  error?: Error;
}

/** Writes `pieces` one by one; resolves at 'end' or at the first 'error'. */
async function decode(opts: AwsChunkedDecoderOptions, input: Buffer | Buffer[]): Promise<Outcome> {
  const decoder = createAwsChunkedDecoder(opts);
  const out: Buffer[] = [];
  let ended = false;
  const done = new Promise<Error | undefined>((resolve) => {
    decoder.on('data', (b: Buffer) => out.push(b));
    decoder.on('end', () => {
      ended = true;
      resolve(undefined);
    });
    decoder.on('error', resolve);
  });
  for (const piece of Array.isArray(input) ? input : [input]) {
    if (decoder.destroyed) break;
    decoder.write(piece);
  }
  if (!decoder.destroyed) decoder.end();
  const error = await done;
  return { decoder, out: Buffer.concat(out), ended, error };
}

function reasonOf(outcome: Outcome): string | undefined {
  return outcome.error instanceof AwsChunkedError ? outcome.error.reason : outcome.error?.message;
}

function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    pieces.push(buf.subarray(start, p));
    start = p;
  }
  pieces.push(buf.subarray(start));
  return pieces.filter((p) => p.length > 0);
}

function bytewise(buf: Buffer): Buffer[] {
  return Array.from({ length: buf.length }, (_, i) => buf.subarray(i, i + 1));
}

/** Replaces the first occurrence of `find` (ASCII) in a copy of `buf`. */
function replaceText(buf: Buffer, find: string, replacement: string): Buffer {
  const at = buf.indexOf(find);
  if (at === -1) throw new Error(`fixture does not contain ${find}`);
  return Buffer.concat([buf.subarray(0, at), Buffer.from(replacement), buf.subarray(at + find.length)]);
}

describe('signed chunks (§7.3 STREAMING-AWS4-HMAC-SHA256-PAYLOAD)', () => {
  it('the example signing key is the one derived from the example secret', () => {
    expect(deriveSigningKey('wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '20130524', 'us-east-1', 's3')).toEqual(AWS_EXAMPLE.signingKey);
  });

  it('the body built from the documented signatures is 66824 bytes and decodes to 66560 × a', async () => {
    const body = awsSignedExample();
    expect(body.length).toBe(66824);
    const r = await decode(SIGNED, body);
    expect(r.error).toBeUndefined();
    expect(r.ended).toBe(true);
    expect(r.out.equals(DATA)).toBe(true);
    expect(r.decoder.decodedBytes).toBe(66560);
    expect(r.decoder.trailers).toEqual({});
  });

  it('the test encoder reproduces the documented chunk signatures byte for byte', () => {
    const { body, signatures } = encodeSigned([A64K, A1K], { ...AWS_EXAMPLE, seedSignature: SIGNED_SEED });
    expect(signatures).toEqual(SIGNED_CHUNK_SIGS);
    expect(body.equals(awsSignedExample())).toBe(true);
  });

  it('one-byte writes decode the same', async () => {
    const r = await decode(SIGNED, bytewise(awsSignedExample()));
    expect(r.error).toBeUndefined();
    expect(r.out.equals(DATA)).toBe(true);
  });

  it('any split of the input decodes the same', async () => {
    const body = awsSignedExample();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 40 }), async (cuts) => {
        const r = await decode(SIGNED, splitAt(body, cuts));
        expect(r.error).toBeUndefined();
        expect(r.out.equals(DATA)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('upper-case hex chunk sizes are accepted', async () => {
    const data = Buffer.alloc(0xabc, 'q');
    const { body } = encodeSigned([data], { ...AWS_EXAMPLE, seedSignature: SIGNED_SEED });
    const r = await decode(SIGNED, replaceText(body, 'abc;', 'ABC;'));
    expect(r.error).toBeUndefined();
    expect(r.out.equals(data)).toBe(true);
  });

  it('tampered data in chunk 2 -> ChunkSignatureMismatch, and no byte of chunk 2 is emitted', async () => {
    const body = awsSignedExample();
    body[body.length - 100] = 'b'.charCodeAt(0); // inside the 1024-byte chunk
    const r = await decode(SIGNED, body);
    expect(reasonOf(r)).toBe('ChunkSignatureMismatch');
    expect(r.ended).toBe(false);
    expect(r.out.length).toBe(65536);
    expect((r.error as AwsChunkedError).detail.failed).toBe('chunk 2');
  });

  it('tampered data in chunk 1 -> ChunkSignatureMismatch with nothing emitted, even with 1-byte writes', async () => {
    const body = awsSignedExample();
    body[200] = 'b'.charCodeAt(0);
    const r = await decode(SIGNED, bytewise(body));
    expect(reasonOf(r)).toBe('ChunkSignatureMismatch');
    expect(r.out.length).toBe(0);
  });

  it('a wrong chunk signature -> ChunkSignatureMismatch, nothing emitted', async () => {
    const sig = SIGNED_CHUNK_SIGS[0];
    const wrong = sig.slice(0, 63) + (sig[63] === '0' ? '1' : '0');
    const r = await decode(SIGNED, replaceText(awsSignedExample(), sig, wrong));
    expect(reasonOf(r)).toBe('ChunkSignatureMismatch');
    expect(r.out.length).toBe(0);
    expect((r.error as AwsChunkedError).detail.signatureProvided).toBe(wrong);
  });

  it('a wrong seed (header signature) fails the first chunk', async () => {
    const r = await decode({ payload: signedMode(TRAILER_SEED, false) }, awsSignedExample());
    expect(reasonOf(r)).toBe('ChunkSignatureMismatch');
    expect(r.out.length).toBe(0);
  });

  it('a wrong final (0-byte) chunk signature -> ChunkSignatureMismatch, stream never ends', async () => {
    const sig = SIGNED_CHUNK_SIGS[2];
    const r = await decode(SIGNED, replaceText(awsSignedExample(), sig, SIGNED_CHUNK_SIGS[1]));
    expect(reasonOf(r)).toBe('ChunkSignatureMismatch');
    expect(r.ended).toBe(false);
    expect((r.error as AwsChunkedError).detail.failed).toBe('chunk 3');
  });

  it('chunks swapped in order -> ChunkSignatureMismatch (each signature chains the previous one)', async () => {
    const [s1, s2] = SIGNED_CHUNK_SIGS;
    const swapped = Buffer.concat([
      Buffer.from(`400;chunk-signature=${s2}\r\n`),
      A1K,
      Buffer.from(`\r\n10000;chunk-signature=${s1}\r\n`),
      A64K,
      Buffer.from(`\r\n0;chunk-signature=${SIGNED_CHUNK_SIGS[2]}\r\n\r\n`),
    ]);
    const r = await decode(SIGNED, swapped);
    expect(reasonOf(r)).toBe('ChunkSignatureMismatch');
    expect(r.out.length).toBe(0);
  });

  it('a body without its final chunk -> MalformedChunkedEncoding', async () => {
    const body = awsSignedExample();
    const withoutFinal = body.subarray(0, body.indexOf('0;chunk-signature=', 66000));
    const r = await decode(SIGNED, withoutFinal);
    expect(reasonOf(r)).toBe('MalformedChunkedEncoding');
    expect(r.ended).toBe(false);
  });

  it.each([
    ['inside chunk 1 data', 30000],
    ['inside chunk 2 header line', 65536 + 88 + 2 + 10],
    ['inside the final chunk line', 66824 - 20],
  ])('a body truncated %s -> MalformedChunkedEncoding', async (_name, at) => {
    const r = await decode(SIGNED, awsSignedExample().subarray(0, at));
    expect(reasonOf(r)).toBe('MalformedChunkedEncoding');
    expect(r.ended).toBe(false);
  });

  it('a missing closing empty line after a verified final chunk is tolerated', async () => {
    const body = awsSignedExample();
    const r = await decode(SIGNED, body.subarray(0, body.length - 2));
    expect(r.error).toBeUndefined();
    expect(r.out.equals(DATA)).toBe(true);
  });

  it.each([
    ['a non-hex chunk size', (b: Buffer) => replaceText(b, '10000;', 'zz;')],
    ['a chunk size with a sign', (b: Buffer) => replaceText(b, '10000;', '-1;')],
    ['no chunk-signature in signed mode', (b: Buffer) => replaceText(b, `;chunk-signature=${SIGNED_CHUNK_SIGS[0]}`, '')],
    ['a short chunk-signature', (b: Buffer) => replaceText(b, SIGNED_CHUNK_SIGS[0], 'abcd')],
    ['data not followed by CRLF', (b: Buffer) => replaceText(b, `\r\n400;`, `XX400;`)],
    ['data longer than its size', (b: Buffer) => replaceText(b, `\r\n400;`, `a\r\n400;`)],
    ['garbage after the final chunk', (b: Buffer) => Buffer.concat([b, Buffer.from('junk')])],
  ])('%s -> MalformedChunkedEncoding', async (_name, mutate) => {
    const r = await decode(SIGNED, mutate(awsSignedExample()));
    expect(reasonOf(r)).toBe('MalformedChunkedEncoding');
    expect(r.ended).toBe(false);
  });

  it('a header line without LF beyond 4 KiB -> MalformedChunkedEncoding before the body ends', async () => {
    const decoder = createAwsChunkedDecoder(SIGNED);
    const failed = new Promise<Error>((resolve) => decoder.on('error', resolve));
    decoder.write(Buffer.alloc(5000, '1'));
    const err = await failed;
    expect((err as AwsChunkedError).reason).toBe('MalformedChunkedEncoding');
  });

  it('a signed chunk above 16 MiB is refused from its header, before buffering', async () => {
    const decoder = createAwsChunkedDecoder(SIGNED);
    const failed = new Promise<Error>((resolve) => decoder.on('error', resolve));
    decoder.write(Buffer.from(`1000001;chunk-signature=${SIGNED_CHUNK_SIGS[0]}\r\n`));
    const err = await failed;
    expect((err as AwsChunkedError).reason).toBe('MalformedChunkedEncoding');
    expect(err.message).toContain('16777216');
  });

  it('a trailer in STREAMING-AWS4-HMAC-SHA256-PAYLOAD (nothing may follow unsigned) -> TrailerChecksumMissing', async () => {
    const body = awsSignedExample();
    const withTrailer = Buffer.concat([body.subarray(0, body.length - 2), Buffer.from('x-amz-checksum-crc32:sK4Y7A==\r\n\r\n')]);
    const r = await decode({ ...SIGNED, announcedTrailers: ['x-amz-checksum-crc32'] }, withTrailer);
    expect(reasonOf(r)).toBe('TrailerChecksumMissing');
  });
});

describe('signed trailer (§7.3 STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER)', () => {
  it('the example decodes, its trailer signature d81f82fc… verifies, and its Content-Length is 66946', async () => {
    const body = awsTrailerExample();
    expect(body.length).toBe(66946);
    const r = await decode(SIGNED_TRAILER, body);
    expect(r.error).toBeUndefined();
    expect(r.out.equals(DATA)).toBe(true);
    expect(r.decoder.trailers).toEqual({ 'x-amz-checksum-crc32c': 'sOO8/Q==' });
  });

  it('the test encoder reproduces the documented chunk and trailer signatures', () => {
    const { signatures } = encodeSigned([A64K, A1K], {
      ...AWS_EXAMPLE,
      seedSignature: TRAILER_SEED,
      trailers: [['x-amz-checksum-crc32c', 'sOO8/Q==']],
    });
    expect(signatures).toEqual([...TRAILER_CHUNK_SIGS, TRAILER_SIGNATURE]);
  });

  it('an empty line between the 0-byte chunk and the trailer is accepted', async () => {
    const r = await decode(SIGNED_TRAILER, awsTrailerExample(true));
    expect(r.error).toBeUndefined();
    expect(r.decoder.trailers).toEqual({ 'x-amz-checksum-crc32c': 'sOO8/Q==' });
  });

  it('one-byte writes decode the same, trailer included', async () => {
    const r = await decode(SIGNED_TRAILER, bytewise(awsTrailerExample(true)));
    expect(r.error).toBeUndefined();
    expect(r.out.equals(DATA)).toBe(true);
    expect(r.decoder.trailers).toEqual({ 'x-amz-checksum-crc32c': 'sOO8/Q==' });
  });

  it('a tampered trailer value -> ChunkSignatureMismatch (the trailer signature covers it)', async () => {
    const r = await decode(SIGNED_TRAILER, replaceText(awsTrailerExample(), 'sOO8/Q==', 'sK4Y7A=='));
    expect(reasonOf(r)).toBe('ChunkSignatureMismatch');
    expect((r.error as AwsChunkedError).detail.failed).toBe('trailer');
    expect(r.ended).toBe(false);
  });

  it('a wrong trailer signature -> ChunkSignatureMismatch', async () => {
    const r = await decode(SIGNED_TRAILER, replaceText(awsTrailerExample(), TRAILER_SIGNATURE, TRAILER_CHUNK_SIGS[0]));
    expect(reasonOf(r)).toBe('ChunkSignatureMismatch');
  });

  it('a missing trailer signature -> ChunkSignatureMismatch', async () => {
    const r = await decode(SIGNED_TRAILER, replaceText(awsTrailerExample(), `x-amz-trailer-signature:${TRAILER_SIGNATURE}\r\n`, ''));
    expect(reasonOf(r)).toBe('ChunkSignatureMismatch');
  });

  it('the announced trailer missing -> TrailerChecksumMissing', async () => {
    const r = await decode(SIGNED_TRAILER, replaceText(awsTrailerExample(), 'x-amz-checksum-crc32c:sOO8/Q==\r\n', ''));
    expect(reasonOf(r)).toBe('TrailerChecksumMissing');
  });

  it('a trailer of another name than announced -> TrailerChecksumMissing', async () => {
    const r = await decode(SIGNED_TRAILER, replaceText(awsTrailerExample(), 'x-amz-checksum-crc32c:', 'x-amz-checksum-crc32:'));
    expect(reasonOf(r)).toBe('TrailerChecksumMissing');
  });

  it('a body ending after the 0-byte chunk when a trailer was announced -> TrailerChecksumMissing', async () => {
    const body = awsTrailerExample();
    const r = await decode(SIGNED_TRAILER, body.subarray(0, body.indexOf('x-amz-checksum-crc32c')));
    expect(reasonOf(r)).toBe('TrailerChecksumMissing');
  });

  it('a body cut inside the trailer line -> MalformedChunkedEncoding', async () => {
    const body = awsTrailerExample();
    const r = await decode(SIGNED_TRAILER, body.subarray(0, body.indexOf('x-amz-checksum-crc32c') + 10));
    expect(reasonOf(r)).toBe('MalformedChunkedEncoding');
  });

  it('trailer names match case-insensitively and are reported lower-case', async () => {
    const r = await decode(SIGNED_TRAILER, replaceText(awsTrailerExample(), 'x-amz-checksum-crc32c:', 'X-Amz-Checksum-CRC32C:'));
    // The signature covers the lower-case form `x-amz-checksum-crc32c:sOO8/Q==\n`.
    expect(r.error).toBeUndefined();
    expect(r.decoder.trailers).toEqual({ 'x-amz-checksum-crc32c': 'sOO8/Q==' });
  });
});

describe('unsigned chunks (STREAMING-UNSIGNED-PAYLOAD-TRAILER)', () => {
  it('botocore layout `0\\r\\nx-amz-checksum-crc32:<b64>\\r\\n\\r\\n` decodes, trailer exposed', async () => {
    const body = encodeUnsigned([A64K, A1K], ['x-amz-checksum-crc32', 'sK4Y7A==']);
    expect(body.subarray(-40).toString()).toMatch(/\r\n0\r\nx-amz-checksum-crc32:sK4Y7A==\r\n\r\n$/);
    const r = await decode(UNSIGNED_CRC32, body);
    expect(r.error).toBeUndefined();
    expect(r.out.equals(DATA)).toBe(true);
    expect(r.decoder.decodedBytes).toBe(66560);
    expect(r.decoder.trailers).toEqual({ 'x-amz-checksum-crc32': 'sK4Y7A==' });
  });

  it('chunks of any size stream through before the chunk ends', async () => {
    const decoder = createAwsChunkedDecoder(UNSIGNED_CRC32);
    const seen: Buffer[] = [];
    decoder.on('data', (b: Buffer) => seen.push(b));
    decoder.write(Buffer.from('100000\r\n'));
    decoder.write(Buffer.alloc(1000, 'x'));
    await new Promise((r) => setImmediate(r));
    expect(Buffer.concat(seen).length).toBe(1000);
    decoder.destroy();
  });

  it('any split of an unsigned body with odd chunk sizes decodes the same', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        async (chunks, cuts) => {
          const data = chunks.map((c) => Buffer.from(c));
          const body = encodeUnsigned(data, ['x-amz-checksum-crc32', 'AAAAAA==']);
          const r = await decode(UNSIGNED_CRC32, splitAt(body, cuts));
          expect(r.error).toBeUndefined();
          expect(r.out.equals(Buffer.concat(data))).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('bare LF line ends in the trailer and a stray LF before the final CRLF are accepted', async () => {
    const body = Buffer.concat([Buffer.from('400\r\n'), A1K, Buffer.from('\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\n\r\n\r\n')]);
    const r = await decode(UNSIGNED_CRC32, body);
    expect(r.error).toBeUndefined();
    expect(r.decoder.trailers).toEqual({ 'x-amz-checksum-crc32': 'AAAAAA==' });
    const bareLf = Buffer.concat([Buffer.from('400\r\n'), A1K, Buffer.from('\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\n\n')]);
    expect((await decode(UNSIGNED_CRC32, bareLf)).error).toBeUndefined();
  });

  it('`0\\r\\n` with nothing after it, when no trailer was announced, is complete (smithy without checksum)', async () => {
    const body = Buffer.concat([Buffer.from('400\r\n'), A1K, Buffer.from('\r\n0\r\n')]);
    const r = await decode({ payload: { type: 'streaming-unsigned-trailer' } }, body);
    expect(r.error).toBeUndefined();
    expect(r.out.equals(A1K)).toBe(true);
  });

  it('a trailer that was not announced -> TrailerChecksumMissing', async () => {
    const body = encodeUnsigned([A1K], ['x-amz-checksum-sha256', 'AAAA']);
    const r = await decode(UNSIGNED_CRC32, body);
    expect(reasonOf(r)).toBe('TrailerChecksumMissing');
  });

  it('an unsigned body truncated inside a chunk -> MalformedChunkedEncoding', async () => {
    const body = encodeUnsigned([A64K, A1K], ['x-amz-checksum-crc32', 'sK4Y7A==']);
    const r = await decode(UNSIGNED_CRC32, body.subarray(0, 66000));
    expect(reasonOf(r)).toBe('MalformedChunkedEncoding');
    expect(r.ended).toBe(false);
  });

  it('a trailer line without a colon -> MalformedChunkedEncoding', async () => {
    const body = Buffer.concat([Buffer.from('1\r\na\r\n0\r\ngarbage\r\n\r\n')]);
    const r = await decode(UNSIGNED_CRC32, body);
    expect(reasonOf(r)).toBe('MalformedChunkedEncoding');
  });
});
