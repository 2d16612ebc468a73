/**
 * Bytes in and out of operations: a blob streamed to the client, and a small request body
 * (an XML document) read through the same verification as an upload.
 */
import type { Readable } from 'node:stream';
import type { Response } from 'express';
import { prepareUploadBody } from '../body.ts';
import type { RequestContext } from '../context.ts';
import { S3Error } from '../s3-errors.ts';

/**
 * Streams `source` as the response body. Status and headers are written only once the first
 * chunk has been read, so a blob that cannot be read fails as a clean error response instead
 * of a cut connection; after that a read error can only cut the connection (the app does).
 * A client that goes away stops the read and resolves quietly.
 */
export async function sendStream(res: Response, status: number, headers: Record<string, string>, source: Readable): Promise<void> {
  const chunks = source[Symbol.asyncIterator]();
  const first = await chunks.next();
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  try {
    let next = first;
    while (!next.done) {
      if (res.destroyed) return;
      if (!res.write(next.value)) await drained(res);
      if (res.destroyed) return;
      next = await chunks.next();
    }
    res.end();
  } finally {
    // Stops and closes the blob when the loop ended early (client gone, write error).
    await chunks.return?.();
  }
}

function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
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
