/**
 * The aws-chunked content encoding (reference s3-auth.md §3): a decoder that strips the framing,
 * verifies every chunk signature before releasing that chunk's bytes, and collects trailers.
 *
 * Signed, STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] (§3.2, §3.3):
 *
 *   10000;chunk-signature=ad80c730…288648\r\n      <hex size>;chunk-signature=<64 hex>
 *   <65536 bytes>\r\n
 *   400;chunk-signature=0055627c…ef5497\r\n
 *   <1024 bytes>\r\n
 *   0;chunk-signature=b6c6ea8a…449df9\r\n          the final chunk is signed too
 *   [\r\n]                                          optional before trailers (published copies differ)
 *   x-amz-checksum-crc32c:sOO8/Q==\r\n              -TRAILER only
 *   x-amz-trailer-signature:d81f82fc…e2e435\r\n     -TRAILER only
 *   \r\n
 *
 * Unsigned, STREAMING-UNSIGNED-PAYLOAD-TRAILER (as botocore and smithy write it):
 *
 *   400\r\n<1024 bytes>\r\n                         chunks of any size
 *   0\r\n
 *   x-amz-checksum-crc32:sK4Y7A==\r\n
 *   \r\n
 *
 * Chunk string to sign (§3.2)           Trailer string to sign (§3.3)
 *   AWS4-HMAC-SHA256-PAYLOAD              AWS4-HMAC-SHA256-TRAILER
 *   <X-Amz-Date>                          <X-Amz-Date>
 *   <scope>                               <scope>
 *   <previous signature>                  <signature of the 0-byte chunk>
 *   <sha256 of "">                        <sha256 of "name:value\n" per trailer line>
 *   <sha256 of chunk data>
 *
 * The previous signature of the first chunk is the seed: the Authorization header's signature.
 *
 * Memory: a signed chunk must be held until its signature is checked (MinIO's reader does the
 * same), so signed chunks are capped at 16 MiB; unsigned chunk bytes stream straight through.
 * Header and trailer lines are capped at 4 KiB. Hostile input cannot make the decoder buffer
 * more than that.
 *
 * Errors: the stream is destroyed with an {@link AwsChunkedError}. Its reasons are members of
 * the S3 error catalogue; src/http/body.ts maps them to S3Error (sigv4 does not import http).
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import type { ChunkSigningContext, PayloadMode } from '../auth/types.ts';
import { calculateSignature, sha256Hex, signaturesEqual } from './signing-key.ts';

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const DEFAULT_MAX_CHUNK_SIZE = 16 * 1024 * 1024;
export const DEFAULT_MAX_LINE_LENGTH = 4 * 1024;

const TRAILER_SIGNATURE = 'x-amz-trailer-signature';
const CR = 0x0d;
const LF = 0x0a;

export type StreamingPayloadMode = Extract<PayloadMode, { type: 'streaming-signed' | 'streaming-unsigned-trailer' }>;

export type AwsChunkedErrorReason = 'ChunkSignatureMismatch' | 'MalformedChunkedEncoding' | 'TrailerChecksumMissing';

/** A decoding failure; `detail` is for the request trace (no secrets: provided signatures only). */
export class AwsChunkedError extends Error {
  readonly reason: AwsChunkedErrorReason;
  readonly detail: Record<string, string>;

  constructor(reason: AwsChunkedErrorReason, summary: string, detail: Record<string, string> = {}) {
    super(summary);
    this.name = 'AwsChunkedError';
    this.reason = reason;
    this.detail = detail;
  }
}

export interface AwsChunkedDecoderOptions {
  payload: StreamingPayloadMode;
  /**
   * Trailer names from x-amz-trailer (any case). Each must arrive and no other may. Ignored for
   * STREAMING-AWS4-HMAC-SHA256-PAYLOAD, whose body may carry no trailer: it would be unsigned.
   */
  announcedTrailers?: readonly string[];
  maxChunkSize?: number;
  maxLineLength?: number;
}

export function createChunkStringToSign(signing: ChunkSigningContext, previousSignature: string, dataSha256Hex: string): string {
  return ['AWS4-HMAC-SHA256-PAYLOAD', signing.amzDate, signing.scope, previousSignature, EMPTY_SHA256, dataSha256Hex].join('\n');
}

export function createTrailerStringToSign(signing: ChunkSigningContext, finalChunkSignature: string, trailerSha256Hex: string): string {
  return ['AWS4-HMAC-SHA256-TRAILER', signing.amzDate, signing.scope, finalChunkSignature, trailerSha256Hex].join('\n');
}

export function createAwsChunkedDecoder(opts: AwsChunkedDecoderOptions): AwsChunkedDecoder {
  return new AwsChunkedDecoder(opts);
}

type State = 'chunk-header' | 'chunk-data' | 'data-cr' | 'data-lf' | 'trailer' | 'done';

export class AwsChunkedDecoder extends Transform {
  /** Trailer fields received, lower-case names; complete once the stream has ended. */
  readonly trailers: Record<string, string> = {};
  /** Object bytes decoded so far. */
  decodedBytes = 0;

  private readonly signing?: ChunkSigningContext;
  private readonly signedTrailer: boolean;
  private readonly announced: Set<string>;
  private readonly maxChunkSize: number;
  private readonly maxLineLength: number;

  private state: State = 'chunk-header';
  private line: Buffer[] = [];
  private lineLength = 0;
  private remaining = 0;
  private chunkNumber = 0;
  private chunkSignature = '';
  private chunkHash?: Hash;
  private held: Buffer[] = [];
  private previousSignature = '';
  private skippedBlankLine = false;
  private trailerText = '';
  private trailerSignature?: string;

  constructor(opts: AwsChunkedDecoderOptions) {
    super();
    const { payload } = opts;
    this.signing = payload.type === 'streaming-signed' ? payload.signing : undefined;
    this.signedTrailer = payload.type === 'streaming-signed' && payload.trailer;
    const allowsTrailers = payload.type === 'streaming-unsigned-trailer' || payload.trailer;
    this.announced = new Set(allowsTrailers ? (opts.announcedTrailers ?? []).map((n) => n.trim().toLowerCase()) : []);
    this.maxChunkSize = opts.maxChunkSize ?? DEFAULT_MAX_CHUNK_SIZE;
    this.maxLineLength = opts.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    if (this.signing) this.previousSignature = this.signing.seedSignature;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.finishAtEnd();
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  private consume(buf: Buffer): void {
    let pos = 0;
    while (pos < buf.length) {
      switch (this.state) {
        case 'chunk-header':
        case 'trailer':
          pos = this.consumeLine(buf, pos);
          break;
        case 'chunk-data': {
          const take = Math.min(this.remaining, buf.length - pos);
          this.onData(buf.subarray(pos, pos + take));
          pos += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = 'data-cr';
          break;
        }
        case 'data-cr':
          this.expectByte(buf[pos++], CR);
          this.state = 'data-lf';
          break;
        case 'data-lf':
          this.expectByte(buf[pos++], LF);
          this.endChunk();
          this.state = 'chunk-header';
          break;
        case 'done':
          // The user guide's example carries a stray line end after the trailer (§3.3).
          for (; pos < buf.length; pos++) {
            if (buf[pos] !== CR && buf[pos] !== LF) throw malformed('data after the end of the aws-chunked body');
          }
          break;
      }
    }
  }

  /** Accumulates one line (capped); returns the position after it. */
  private consumeLine(buf: Buffer, pos: number): number {
    const nl = buf.indexOf(LF, pos);
    const end = nl === -1 ? buf.length : nl;
    this.lineLength += end - pos;
    if (this.lineLength > this.maxLineLength) throw malformed(`line longer than ${this.maxLineLength} bytes`);
    if (end > pos) this.line.push(buf.subarray(pos, end));
    if (nl === -1) return buf.length;
    const text = takeLine(this.line);
    this.line = [];
    this.lineLength = 0;
    if (this.state === 'chunk-header') this.onChunkHeader(text);
    else this.onTrailerLine(text);
    return nl + 1;
  }

  private onChunkHeader(line: string): void {
    this.chunkNumber++;
    const semi = line.indexOf(';');
    const sizeText = semi === -1 ? line : line.slice(0, semi);
    if (!/^[0-9a-fA-F]{1,13}$/.test(sizeText)) throw malformed(`chunk ${this.chunkNumber}: bad chunk size`, { line: printable(line) });
    const size = parseInt(sizeText, 16);
    if (this.signing) {
      const signature = /^chunk-signature=([0-9a-f]{64})$/.exec(semi === -1 ? '' : line.slice(semi + 1))?.[1];
      if (signature === undefined) throw malformed(`chunk ${this.chunkNumber}: no chunk-signature`, { line: printable(line) });
      if (size > this.maxChunkSize) throw malformed(`chunk ${this.chunkNumber}: ${size} bytes is above the ${this.maxChunkSize}-byte limit`);
      this.chunkSignature = signature;
      this.chunkHash = createHash('sha256');
    }
    if (size === 0) {
      this.endChunk();
      this.state = 'trailer';
    } else {
      this.remaining = size;
      this.state = 'chunk-data';
    }
  }

  private onData(piece: Buffer): void {
    this.decodedBytes += piece.length;
    if (this.chunkHash) {
      this.chunkHash.update(piece);
      this.held.push(piece);
    } else {
      this.push(piece);
    }
  }

  /** Verifies a signed chunk, then releases its bytes: a bad chunk never goes downstream. */
  private endChunk(): void {
    if (!this.signing || !this.chunkHash) return;
    const stringToSign = createChunkStringToSign(this.signing, this.previousSignature, this.chunkHash.digest('hex'));
    this.chunkHash = undefined;
    this.previousSignature = this.verify(stringToSign, this.chunkSignature, `chunk ${this.chunkNumber}`);
    const held = this.held;
    this.held = [];
    for (const piece of held) this.push(piece);
  }

  private verify(stringToSign: string, provided: string, what: string): string {
    const signing = this.signing as ChunkSigningContext;
    const expected = calculateSignature(signing.signingKey, stringToSign);
    if (!signaturesEqual(expected, provided)) {
      throw new AwsChunkedError('ChunkSignatureMismatch', `${what}: signature does not match`, {
        failed: what,
        stringToSign,
        signatureProvided: provided,
      });
    }
    return expected;
  }

  private onTrailerLine(line: string): void {
    if (line === '') {
      const noTrailerYet = this.trailerText === '' && this.trailerSignature === undefined;
      if (noTrailerYet && !this.skippedBlankLine && this.expectsTrailer()) {
        this.skippedBlankLine = true;
        return;
      }
      this.finishTrailer();
      return;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('trailer line is not name:value', { line: printable(line) });
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (this.trailerSignature !== undefined) throw malformed('trailer line after x-amz-trailer-signature', { line: printable(line) });
    if (name === TRAILER_SIGNATURE && this.signedTrailer) {
      this.trailerSignature = value;
      return;
    }
    if (!this.announced.has(name)) {
      throw new AwsChunkedError('TrailerChecksumMissing', `trailer ${name} was not announced in x-amz-trailer`, { trailer: name });
    }
    if (name in this.trailers) throw malformed(`trailer ${name} sent twice`);
    this.trailers[name] = value;
    this.trailerText += `${name}:${value}\n`;
  }

  private expectsTrailer(): boolean {
    return this.signedTrailer || this.announced.size > 0;
  }

  private finishTrailer(): void {
    for (const name of this.announced) {
      if (!(name in this.trailers)) throw new AwsChunkedError('TrailerChecksumMissing', `announced trailer ${name} is missing`, { trailer: name });
    }
    if (this.signedTrailer) {
      if (this.trailerSignature === undefined) {
        throw new AwsChunkedError('ChunkSignatureMismatch', 'trailer: x-amz-trailer-signature is missing', { failed: 'trailer', trailer: TRAILER_SIGNATURE });
      }
      const stringToSign = createTrailerStringToSign(this.signing as ChunkSigningContext, this.previousSignature, sha256Hex(this.trailerText));
      this.verify(stringToSign, this.trailerSignature, 'trailer');
    }
    this.state = 'done';
  }

  /**
   * At the end of input the body must be complete. Leniency: the closing empty line may be
   * missing once the zero-length chunk has arrived (smithy writes just `0\r\n` when it has no
   * checksum to send); announced trailers and the trailer signature are still required.
   */
  private finishAtEnd(): void {
    if (this.state === 'done') return;
    if (this.state === 'trailer' && this.lineLength === 0) {
      this.finishTrailer();
      return;
    }
    const where =
      this.state === 'trailer' ? 'inside the trailer' : this.state === 'chunk-header' ? `after ${this.chunkNumber} chunk(s)` : `inside chunk ${this.chunkNumber}`;
    throw malformed(`body ended ${where}, before the final chunk was complete`);
  }

  private expectByte(actual: number, expected: number): void {
    if (actual !== expected) throw malformed(`chunk ${this.chunkNumber}: data not followed by CRLF`);
  }
}

function takeLine(parts: Buffer[]): string {
  const text = (parts.length === 1 ? parts[0] : Buffer.concat(parts)).toString('latin1');
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

function malformed(summary: string, detail: Record<string, string> = {}): AwsChunkedError {
  return new AwsChunkedError('MalformedChunkedEncoding', summary, detail);
}

function printable(line: string): string {
  const shown = line.length > 100 ? `${line.slice(0, 100)}…` : line;
  return JSON.stringify(shown);
}
