/** What the app hands the browser POST upload handler (POST /BUCKET, multipart/form-data). */
import type { Request, Response } from 'express';
import type { Clock, Config } from '../config.ts';
import type { Storage } from '../storage/types.ts';
import type { RequestRecord } from './s3-handler.ts';

export interface PostObjectInput {
  req: Request;
  res: Response;
  config: Readonly<Config>;
  storage: Storage;
  clock: Clock;
  now: Date;
  requestId: string;
  bucket: string;
  /** Lower-case header name -> every value in arrival order */
  headers: Record<string, string[]>;
  /** Reports what the request log should know (auth kind, access key id, steps, operation). */
  record(patch: Partial<RequestRecord>): void;
}
