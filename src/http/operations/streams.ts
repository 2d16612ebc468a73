/**
 * Bytes in and out of operations: a blob streamed to the client, and a small request body
 * (an XML document) read through the same verification as an upload.
 */
import type { Readable } from 'node:stream';
import type { Response } from 'express';
import { READ_CHUNK_BYTES } from '../../storage/blob-store.ts';
import type { BlobReader } from '../../storage/types.ts';
import { prepareUploadBody } from '../body.ts';
import type { RequestContext } from '../context.ts';
import { S3Error } from '../s3-errors.ts';

/**
 * Sends a blob as the response body through two buffers used in turn: one is being written to
 * the socket while the next bytes are read into the other, and a buffer is read into again only
 * once the socket has taken its last bytes (the write's callback). A stream would allocate a
 * new buffer for every read; a gigabyte of them, each held until the socket drains it, outlived
 * V8's young generation and cost some forty full garbage collections per GiB.
 *
 * Status and headers go out only once the first bytes are read, so a blob that cannot be read
 * fails as a clean error response instead of a cut connection; after that a read error can only
 * cut the connection (the app does). A client that goes away stops the reads.
 */
export async function sendBlob(res: Response, status: number, headers: Record<string, string>, reader: BlobReader): Promise<void> {
  try {
    // No larger than the bytes to send.
    const size = Math.min(READ_CHUNK_BYTES, reader.length);
    const buffers = [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(size)] as const;
    const written: Array<Promise<void> | undefined> = [undefined, undefined];
    let turn = 0;
    let read = await reader.read(buffers[turn]);
    res.statusCode = status;
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    while (read > 0) {
      if (gone(res)) return;
      written[turn] = flushed(res, buffers[turn].subarray(0, read));
      turn = 1 - turn;
      await written[turn];
      if (gone(res)) return;
      read = await reader.read(buffers[turn]);
    }
    res.end();
  } finally {
    await reader.close();
  }
}

/**
 * The client is gone. A response queued behind another on a pipelining connection gets no
 * 'close' of its own when the connection drops (nor its write callbacks): the connection's
 * socket tells.
 */
function gone(res: Response): boolean {
  return res.destroyed || res.req.socket.destroyed;
}

/** Writes `bytes`; resolves once the socket has taken them, or the client is gone. */
function flushed(res: Response, bytes: Buffer): Promise<void> {
  const socket = res.req.socket;
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('close', done);
      socket.off('close', done);
      resolve();
    };
    res.on('close', done);
    socket.on('close', done);
    res.write(bytes, done);
  });
}

/**
 * Reads a small request body (DeleteObjects, CompleteMultipartUpload, CreateBucket) with the
 * payload checks of an upload (x-amz-content-sha256, Content-MD5, checksums, aws-chunked).
 * A body over `maxBytes` is refused as MalformedXML: S3 accepts no XML document that large.
 */
export async function readSmallBody(ctx: RequestContext, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  try {
    const body = prepareUploadBody(ctx.req, {
      payload: ctx.principal.payload,
      headers: ctx.headers,
      maxBytes,
      steps: ctx.principal.steps,
    });
    const content = await body.content;
    if (Buffer.isBuffer(content)) return content;
    for await (const chunk of content) chunks.push(chunk as Buffer);
  } catch (err) {
    if (err instanceof S3Error && err.reason === 'EntityTooLarge') throw new S3Error('MalformedXML', { cause: err });
    throw err;
  }
  return Buffer.concat(chunks);
}
