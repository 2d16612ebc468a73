/**
 * The workloads, each as the request pool every server gets. For the floor each maps to its
 * nearest equivalent: GET or PUT of a file, a directory listing, a multipart form streamed
 * to a file, and for W5 a 403 answered without touching the disk.
 *
 *   W1  presigned GET of 1 KiB                        64 objects, SDK presigner
 *   W2  presigned PUT of 64 KiB                       64 keys overwritten in turn
 *   W3  header-signed PUT and GET of 1 KiB            the SDK's own requests (signed body hash, CRC32)
 *   W5  presigned GET, signature altered              SignatureDoesNotMatch (s3rver checks none: n/a)
 *   W6  ListObjectsV2 prefix + delimiter, 10,000 keys the first page: 90 common prefixes + 910 keys
 *   W7  POST Object (browser form), 64 KiB file       @aws-sdk/s3-presigned-post
 *
 * W4 (1 GiB) is in transfer.ts: one stream at a time, not a pool.
 */
import type { RequestSpec } from './load.ts';
import {
  createBucket,
  postForms,
  presignedListPath,
  presignedPaths,
  quickPresignedPath,
  sdkSignedGets,
  sdkSignedPuts,
  send,
  sendAll,
} from './requests.ts';
import type { Target, TargetName } from './targets.ts';

export const BUCKET = 'bench';
export const LIST_BUCKET = 'bench-list';
const KIB = 1024;

export type WorkloadId = 'W1' | 'W2' | 'W3-PUT' | 'W3-GET' | 'W5' | 'W6' | 'W7';

export interface Workload {
  id: WorkloadId;
  title: string;
  unit: string;
  /** Servers this workload means something for, with the reason when not */
  skip?: Partial<Record<TargetName, string>>;
  prepare(target: Target): Promise<Prepared>;
}

export type Prepared = { ok: true; pool: RequestSpec[]; expectStatus: number; probeMs: number } | { ok: false; reason: string };

function keys(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
}

function bytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

async function putQuick(target: Target, bucket: string, names: readonly string[], body: Buffer): Promise<void> {
  const specs: RequestSpec[] = names.map((key) => ({
    method: 'PUT',
    path: quickPresignedPath(target, 'PUT', bucket, key),
    headers: { 'Content-Length': String(body.length) },
    body,
  }));
  await sendAll(target.origin, specs, (s) => s === 200);
}

/**
 * Sends the pool's first request once: a server that does not answer it as expected (W7 on a
 * server without POST Object) is reported as unavailable rather than measured.
 */
async function checked(target: Target, pool: RequestSpec[], expectStatus: number | ((status: number) => boolean)): Promise<Prepared> {
  const started = performance.now();
  const answer = await send(target.origin, pool[0]!);
  const probeMs = performance.now() - started;
  const ok = typeof expectStatus === 'number' ? answer.status === expectStatus : expectStatus(answer.status);
  if (!ok) return { ok: false, reason: `answered ${answer.status} ${answer.body.toString('utf8').slice(0, 160).replace(/\s+/g, ' ')}` };
  return { ok: true, pool, expectStatus: answer.status, probeMs };
}

export const W1: Workload = {
  id: 'W1',
  title: 'W1 presigned GET 1 KiB',
  unit: 'req/s',
  async prepare(target) {
    const names = keys('w1/obj-', 64);
    await putQuick(target, BUCKET, names, bytes(KIB, 1));
    const paths = await presignedPaths(target, 'GET', BUCKET, names);
    return checked(target, paths.map((path) => ({ method: 'GET', path })), 200);
  },
};

export const W2: Workload = {
  id: 'W2',
  title: 'W2 presigned PUT 64 KiB',
  unit: 'req/s',
  async prepare(target) {
    const body = bytes(64 * KIB, 2);
    const paths = await presignedPaths(target, 'PUT', BUCKET, keys('w2/obj-', 64));
    const pool: RequestSpec[] = paths.map((path) => ({ method: 'PUT', path, headers: { 'Content-Length': String(body.length) }, body }));
    return checked(target, pool, 200);
  },
};

const W3_KEYS = keys('w3/obj-', 128);

export const W3_PUT: Workload = {
  id: 'W3-PUT',
  title: 'W3 header-signed PUT 1 KiB',
  unit: 'req/s',
  async prepare(target) {
    const pool = await sdkSignedPuts(target, BUCKET, W3_KEYS, bytes(KIB, 3));
    // Also the objects W3-GET reads.
    await sendAll(target.origin, pool, (s) => s === 200);
    return checked(target, pool, 200);
  },
};

export const W3_GET: Workload = {
  id: 'W3-GET',
  title: 'W3 header-signed GET 1 KiB',
  unit: 'req/s',
  async prepare(target) {
    return checked(target, await sdkSignedGets(target, BUCKET, W3_KEYS), 200);
  },
};

export const W5: Workload = {
  id: 'W5',
  title: 'W5 presigned GET, bad signature',
  unit: '403/s',
  skip: { s3rver: 'checks no SigV4 signature (serves the object)' },
  async prepare(target) {
    const names = keys('w1/obj-', 64);
    if (target.name === 'floor') return checked(target, names.map((key) => ({ method: 'GET', path: `/${BUCKET}/${key}?refuse` })), 403);
    const paths = await presignedPaths(target, 'GET', BUCKET, names);
    // The last hex digit changed: well formed, wrong. S3 then computes the signature to compare.
    const bad = paths.map((path) => path.replace(/(X-Amz-Signature=[0-9a-f]{63})([0-9a-f])/, (_m, head: string, last: string) => head + (last === '0' ? '1' : '0')));
    return checked(target, bad.map((path) => ({ method: 'GET', path })), 403);
  },
};

/** 90 "directories" of 100 keys plus 1,000 keys directly under the prefix. */
export function listKeys(total: number): string[] {
  const direct = Math.round(total / 10);
  const perDir = 100;
  const dirs = Math.floor((total - direct) / perDir);
  const out: string[] = [];
  for (let d = 0; d < dirs; d++) for (let f = 0; f < perDir; f++) out.push(`w6/dir-${String(d).padStart(3, '0')}/file-${String(f).padStart(3, '0')}`);
  for (let f = 0; f < total - dirs * perDir; f++) out.push(`w6/file-${String(f).padStart(5, '0')}`);
  return out;
}

export function w6(totalKeys: number): Workload {
  return {
    id: 'W6',
    title: `W6 ListObjectsV2 prefix+delimiter, ${totalKeys.toLocaleString('en-US')} keys`,
    unit: 'pages/s',
    async prepare(target) {
      await createBucket(target, LIST_BUCKET);
      await putQuick(target, LIST_BUCKET, listKeys(totalKeys), Buffer.from('x'));
      const path = await presignedListPath(target, LIST_BUCKET, 'w6/', '/');
      return checked(target, [{ method: 'GET', path }], 200);
    },
  };
}

export const W7: Workload = {
  id: 'W7',
  title: 'W7 POST Object (form) 64 KiB',
  unit: 'req/s',
  async prepare(target) {
    const pool = await postForms(target, BUCKET, keys('w7/post-', 16), bytes(64 * KIB, 7));
    return checked(target, pool, (status) => status >= 200 && status < 300);
  },
};
