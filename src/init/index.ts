/** The `--init` file: read, check, apply to a data directory before the server listens. */
import { openMetadataOnly } from '../storage/open-storage.ts';
import { applyInit, type InitResult } from './apply.ts';
import type { CheckedInit } from './validate.ts';

export { applyInit, describeInitResult, type InitResult } from './apply.ts';
export { checkInit, parseInitText, readInitFile, durationSeconds, type CheckedInit } from './validate.ts';
export { InitError, type SignetInit, type InitBucket, type InitToken, type InitCorsRule } from './types.ts';

export interface ApplyToDataDirOptions {
  rootAccessKeyId: string;
  /** With clock control, token expiry counts from the data directory's shifted "now". */
  clockControl: boolean;
}

/**
 * Applies `init` to the database in `dataDir` through its own connection, before the server
 * opens it: so that health answers 200 only once every bucket and token exists.
 */
export function applyInitToDataDir(dataDir: string, init: CheckedInit, options: ApplyToDataDirOptions): InitResult {
  const meta = openMetadataOnly(dataDir);
  try {
    const offset = options.clockControl ? meta.getClockOffsetMs() : 0;
    return applyInit(meta, init, { now: new Date(Date.now() + offset), rootAccessKeyId: options.rootAccessKeyId });
  } finally {
    meta.close();
  }
}
