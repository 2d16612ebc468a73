/**
 * The sink an upload streams into: a new file (created exclusively, 0600), with the MD5 and
 * the byte count taken as the bytes go by, and its descriptor left open at the end so that the
 * blob store can rename the file and flush it in parallel (blob-store.ts).
 *
 *   source ──▶ BlobFile: md5.update, write(fd) ──▶ finished: fd handed over, still open
 *                       └ failed or destroyed ──▶ fd closed here
 *
 * Hashing here rather than in a Transform before an fs.WriteStream saves one stream stage per
 * chunk; chunks that queue while a write is in flight go down in one writev.
 *
 * A large body is flushed as it arrives: every {@link FLUSH_EVERY_BYTES} an fdatasync starts in
 * the background, so the disk writes while the network reads, and the fsync that makes the blob
 * durable at the end has only the tail left to flush, instead of the whole gigabyte after the
 * last byte arrived (almost a second of a 1 GiB upload here). A background flush that fails
 * fails the write: the final fsync would not report that error again.
 */
import { close, fdatasync, open, write, writev } from 'node:fs';
import type { Hash } from 'node:crypto';
import { Writable } from 'node:stream';

/** Bytes written between two background flushes of a large body. */
export const FLUSH_EVERY_BYTES = 16 * 1024 * 1024;

export class BlobFile extends Writable {
  /** Bytes written */
  size = 0;
  private fd: number | undefined;
  private finished = false;
  private unflushed = 0;
  /** A write or writev in flight on the thread pool */
  private writing = false;
  /** A background fdatasync in flight */
  private flushing = false;
  private flushError: Error | undefined;
  /** Waiting for the descriptor to be unused (see whenQuiet) */
  private waiters: Array<() => void> = [];

  constructor(
    private readonly path: string,
    private readonly md5: Hash | undefined,
  ) {
    // The default 16 KiB buffer: on a 1 GiB upload, 256 KiB cost more CPU (chunks live long
    // enough to leave the young generation) for no more throughput (npm run bench, W4).
    super();
  }

  /** The open descriptor of a finished file; its owner must close it. */
  takeDescriptor(): number {
    if (!this.finished || this.fd === undefined) throw new Error('BlobFile: not finished');
    const fd = this.fd;
    this.fd = undefined;
    return fd;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.path, 'wx', 0o600, (error, fd) => {
      if (!error) this.fd = fd;
      callback(error);
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.flushError) return callback(this.flushError);
    this.md5?.update(chunk);
    this.size += chunk.length;
    this.writing = true;
    writeFully(this.fd!, chunk, (error) => this.written(chunk.length, error, callback));
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    if (this.flushError) return callback(this.flushError);
    const buffers = chunks.map((c) => c.chunk);
    let bytes = 0;
    for (const buffer of buffers) {
      this.md5?.update(buffer);
      bytes += buffer.length;
    }
    this.size += bytes;
    this.writing = true;
    writevFully(this.fd!, buffers, (error) => this.written(bytes, error, callback));
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.whenQuiet(() => {
      if (this.flushError) return callback(this.flushError);
      this.finished = true;
      callback();
    });
  }

  /**
   * Runs on failure and, with no error, after finishing: only a handed-over fd stays open.
   * A stream can be destroyed while a write is in flight (the client went away): the
   * descriptor is closed only once that write is back, or the number could be reused by
   * another upload's file before the write lands, and the write land in that file.
   */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.whenQuiet(() => {
      const fd = this.fd;
      if (fd === undefined || (this.finished && !error)) return callback(error);
      this.fd = undefined;
      close(fd, () => callback(error));
    });
  }

  /** Counts written bytes; starts a background flush every FLUSH_EVERY_BYTES. */
  private written(bytes: number, error: Error | null | undefined, callback: (error?: Error | null) => void): void {
    this.writing = false;
    if (!error) {
      this.unflushed += bytes;
      if (this.unflushed >= FLUSH_EVERY_BYTES && !this.flushing) {
        this.unflushed = 0;
        this.flushing = true;
        fdatasync(this.fd!, (flushError) => {
          if (flushError) this.flushError ??= flushError;
          this.flushing = false;
          this.quieted();
        });
      }
    }
    // The callback may start the next write at once: only then is it known whether the
    // descriptor has gone quiet.
    callback(error);
    this.quieted();
  }

  /** Runs `then` once no write and no background flush is using the descriptor. */
  private whenQuiet(then: () => void): void {
    if (!this.writing && !this.flushing) then();
    else this.waiters.push(then);
  }

  private quieted(): void {
    if (this.writing || this.flushing || this.waiters.length === 0) return;
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

/** A regular file may take fewer bytes than asked (a full disk reports it next time): loop. */
export function writeFully(fd: number, buffer: Uint8Array, callback: (error?: Error | null) => void): void {
  write(fd, buffer, 0, buffer.length, null, (error, written) => {
    if (error) return callback(error);
    if (written < buffer.length) return writeFully(fd, buffer.subarray(written), callback);
    callback();
  });
}

function writevFully(fd: number, buffers: Buffer[], callback: (error?: Error | null) => void): void {
  writev(fd, buffers, null, (error, written) => {
    if (error) return callback(error);
    let rest = written;
    while (buffers.length > 0 && rest >= buffers[0]!.length) rest -= buffers.shift()!.length;
    if (buffers.length === 0) return callback();
    buffers[0] = buffers[0]!.subarray(rest);
    writevFully(fd, buffers, callback);
  });
}
