/**
 * Reading and dropping what is left of a refused request's body, so that the client, which is
 * usually still sending, can read the refusal instead of failing with EPIPE/ECONNRESET. A body
 * with more left than `maxBytes` is not worth reading: the answer goes out at once and the
 * connection closes, as S3 does.
 */
import type { IncomingMessage } from 'node:http';

export const MAX_DRAIN_BYTES = 8 * 1024 * 1024;
export const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Resolves true once the body ended, false when it was too large, too slow, or broken.
 * `alreadyRead`: bytes of the body a reader consumed before giving up on it.
 */
export function drainRequest(
  req: IncomingMessage,
  { maxBytes = MAX_DRAIN_BYTES, timeoutMs = DRAIN_TIMEOUT_MS, alreadyRead = 0 } = {},
): Promise<boolean> {
  if (req.complete) return Promise.resolve(true);
  if (req.destroyed) return Promise.resolve(false);
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared - alreadyRead > maxBytes) {
    req.resume();
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    let seen = 0;
    const finish = (drained: boolean) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
      resolve(drained);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onClose = () => finish(req.complete);
    const timer = setTimeout(() => finish(false), timeoutMs);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    req.once('error', onClose);
    req.resume();
  });
}
