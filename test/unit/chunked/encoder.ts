/**
 * A test-side aws-chunked encoder, written from the reference (s3-auth.md §3.2-3.3) with
 * node:crypto only, so it shares no code with the decoder under test. The §7.3 vectors in
 * chunked.test.ts pin it to AWS's published signatures.
 */
import { createHash, createHmac } from 'node:crypto';

export const AWS_EXAMPLE = {
  signingKey: Buffer.from('dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378', 'hex'),
  amzDate: '20130524T000000Z',
  scope: '20130524/us-east-1/s3/aws4_request',
};

const EMPTY = createHash('sha256').update('').digest('hex');

function hmacHex(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface SignedBodyOptions {
  signingKey: Buffer;
  amzDate: string;
  scope: string;
  seedSignature: string;
  /** Trailer lines (name, value) to sign with x-amz-trailer-signature. */
  trailers?: [string, string][];
  /** Write the blank line some published copies show between the 0-chunk and the trailer. */
  blankLineBeforeTrailer?: boolean;
}

/** Encodes `chunks` (the last, empty chunk is added) and returns the body and each signature. */
export function encodeSigned(chunks: Buffer[], opts: SignedBodyOptions): { body: Buffer; signatures: string[] } {
  const parts: Buffer[] = [];
  const signatures: string[] = [];
  let previous = opts.seedSignature;
  for (const data of [...chunks, Buffer.alloc(0)]) {
    const sts = ['AWS4-HMAC-SHA256-PAYLOAD', opts.amzDate, opts.scope, previous, EMPTY, sha256(data)].join('\n');
    previous = hmacHex(opts.signingKey, sts);
    signatures.push(previous);
    parts.push(Buffer.from(`${data.length.toString(16)};chunk-signature=${previous}\r\n`));
    if (data.length > 0) parts.push(data, Buffer.from('\r\n'));
  }
  if (opts.trailers) {
    if (opts.blankLineBeforeTrailer) parts.push(Buffer.from('\r\n'));
    const text = opts.trailers.map(([n, v]) => `${n}:${v}\n`).join('');
    const sts = ['AWS4-HMAC-SHA256-TRAILER', opts.amzDate, opts.scope, previous, sha256(text)].join('\n');
    const trailerSignature = hmacHex(opts.signingKey, sts);
    signatures.push(trailerSignature);
    for (const [n, v] of opts.trailers) parts.push(Buffer.from(`${n}:${v}\r\n`));
    parts.push(Buffer.from(`x-amz-trailer-signature:${trailerSignature}\r\n`));
  }
  parts.push(Buffer.from('\r\n'));
  return { body: Buffer.concat(parts), signatures };
}

/** STREAMING-UNSIGNED-PAYLOAD-TRAILER as botocore's AwsChunkedWrapper writes it. */
export function encodeUnsigned(chunks: Buffer[], trailer?: [string, string]): Buffer {
  const parts: Buffer[] = [];
  for (const data of chunks) parts.push(Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n'));
  parts.push(Buffer.from('0\r\n'));
  if (trailer) parts.push(Buffer.from(`${trailer[0]}:${trailer[1]}\r\n`));
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}
