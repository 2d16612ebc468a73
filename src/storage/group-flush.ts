/**
 * Group flushing: many callers, few fsyncs. Used for the database's WAL (wal-sync.ts) and for
 * the blob directories a rename lands in (directory-sync.ts).
 *
 *   caller A ─┐                 caller C ─┐
 *   caller B ─┴─ flush #1 ──────────────── flush #2 (C came after #1 began: #1 may miss it)
 *
 * A flush already running may have started before the caller's change, so it does not count:
 * the caller waits for the next one, which every caller arriving meanwhile shares.
 */

/**
 * Calls `flush` so that each caller's promise resolves after a flush that began after the
 * call: callers that arrive while one runs share the next.
 */
export function createGroupFlush(flush: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;

  function start(): Promise<void> {
    const flushing: Promise<void> = flush().finally(() => {
      if (running === flushing) running = undefined;
    });
    running = flushing;
    return flushing;
  }

  return () => {
    if (!running) return start();
    const after = (): Promise<void> => {
      next = undefined;
      return start();
    };
    next ??= running.then(after, after);
    return next;
  };
}

