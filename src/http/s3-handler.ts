/**
 * The HTTP edge without Express: the S3 request handler, the server's request listener and
 * signet's health endpoint. Express (app.ts: createApp, signet's own endpoints) is loaded only
 * when one of those endpoints is first asked for, so that a server starts without it.
 *
 * Every S3 request goes through the same three steps (the adapter pattern of Hono's jwt
 * middleware): capture what was on the wire -> call the pure verifier -> map its failure to
 * an S3 error. Only then is the operation resolved, authorized against the token's scope and
 * run.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type { VerificationStep } from '../auth/types.ts';
import { verifyRequest } from '../auth/verify-request.ts';
import { authorize } from '../access/authorize.ts';
import type { AccessRequest } from '../access/types.ts';
import type { Clock, Config } from '../config.ts';
import { randomHex } from '../random-hex.ts';
import type { Storage } from '../storage/types.ts';
import { isBrowserPost, resolveAddress } from './address.ts';
import type { BucketRead, Principal, RequestContext } from './context.ts';
import { drainRequest } from './drain.ts';
import { renderErrorXml } from './error-xml.ts';
import { resolveOperation } from './operations/index.ts';
import { S3Error, isS3Error } from './s3-errors.ts';
import { captureSignableRequest, distinctHeaders, splitRequestTarget } from './signable-request.ts';
import { corsHeaders, evaluatePreflight, findCorsRule, parseStoredCors } from './cors.ts';
import { handlePostObject } from './post-object.ts';

export interface AppDeps {
  config: Readonly<Config>;
  storage: Storage;
  clock: Clock;
  /** Called once per answered request (request log, console line). Never sees secrets. */
  onRequestDone?: (entry: RequestRecord) => void;
}

/** What the app reports about each request it answered. */
export interface RequestRecord {
  requestId: string;
  time: string;
  method: string;
  /** Path only: the query (with its signatures) is never recorded */
  path: string;
  bucket?: string;
  key?: string;
  authKind?: string;
  accessKeyId?: string;
  operation?: string;
  status: number;
  errorCode?: string;
  /** The verifier's trace, for refusals */
  steps?: VerificationStep[];
  durationMs: number;
  bytesIn: number;
  bytesOut: number;
}

interface Locals {
  requestId: string;
  started: bigint;
  socketBytesAtStart: number;
  record: Partial<RequestRecord>;
}

export function newRequestId(): string {
  return randomHex(8).toUpperCase();
}

/** Handles signet's own endpoints (the Express app of app.ts). */
export type SignetEndpoints = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The server's request listener. S3 requests skip Express: its per-request set-up and router
 * cost about 0.1 ms, which the S3 path (one handler, no routes) gains nothing from. Whatever
 * might be one of signet's own endpoints (a path starting /_signet, in any case, on the
 * server's own host) goes to `endpoints`, made on the first such request: a server answers S3 and its health check without ever loading
 * Express, and starts that much sooner.
 */
export function createRequestListener(
  deps: AppDeps,
  endpoints: () => SignetEndpoints | Promise<SignetEndpoints>,
): (req: IncomingMessage, res: ServerResponse) => void {
  let ready: SignetEndpoints | undefined;
  let loading: Promise<SignetEndpoints> | undefined;
  return (incoming, outgoing) => {
    const rawPath = splitRequestTarget(incoming.url ?? '/').rawPath;
    const req = incoming as Request;
    const res = outgoing as Response;
    // On a virtual-hosted bucket, /_signet/… is an object key like any other.
    if (/^\/_signet/i.test(rawPath) && resolveAddress(incoming.headers.host, '/').style !== 'virtual') {
      if (isHealthRequest(incoming, rawPath)) {
        startRequest(req, res, deps);
        answerHealth(req, res, deps);
        return;
      }
      if (ready) return ready(incoming, outgoing);
      loading ??= Promise.resolve().then(endpoints);
      loading.then(
        (handler) => {
          ready = handler;
          handler(incoming, outgoing);
        },
        (err: unknown) => {
          loading = undefined;
          startRequest(req, res, deps);
          sendError(err, req, res);
        },
      );
      return;
    }
    startRequest(req, res, deps);
    handleS3Request(req, res, deps).catch((err: unknown) => sendError(err, req, res));
  };
}

/** GET or HEAD /_signet/health, matched as Express matches it: any case, one trailing slash. */
function isHealthRequest(req: IncomingMessage, rawPath: string): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && /^\/_signet\/health\/?$/i.test(rawPath);
}

/** `GET /_signet/health`: 200 and a small JSON status, for scripts waiting on a start. */
export function answerHealth(req: IncomingMessage, res: ServerResponse, deps: AppDeps): void {
  const body = JSON.stringify({ status: 'ok', service: 'signet', region: deps.config.region, time: deps.clock.now().toISOString() });
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  if (req.method === 'HEAD') res.end();
  else res.end(body);
}

/**
 * Every request: its id, signet's headers, the request record and the idle watch. Outside
 * Express (the listener's own paths) `res.locals` is made here.
 */
export function startRequest(req: Request, res: Response, deps: AppDeps): void {
  res.locals ??= Object.create(null) as Response['locals'];
  const locals: Locals = { requestId: newRequestId(), started: process.hrtime.bigint(), socketBytesAtStart: req.socket?.bytesRead ?? 0, record: {} };
  res.locals.signet = locals;
  res.setHeader('x-amz-request-id', locals.requestId);
  res.setHeader('x-amz-id-2', hostIdFor(locals.requestId));
  res.setHeader('Server', 'signet');
  const offset = deps.clock.offsetMs?.() ?? 0;
  if (offset !== 0) res.setHeader('x-signet-clock-offset', String(offset));
  if (deps.onRequestDone) {
    const onDone = deps.onRequestDone;
    res.on('close', () => onDone(finishRecord(req, res, locals)));
  }
  watchIdle(req, res);
}

export async function handleS3Request(req: Request, res: Response, deps: AppDeps): Promise<void> {
  const { config, storage, clock } = deps;
  const locals = res.locals.signet as Locals;
  const now = clock.now();
  const headers = distinctHeaders(req);
  const hostHeader = headers.host?.[0];
  const address = resolveAddress(hostHeader, captureSignableRequest(req, headers, undefined).rawPath);
  const signable = captureSignableRequest(req, headers, address.virtualHostBucket);
  locals.record.bucket = address.bucket;
  locals.record.key = address.key;

  // CORS comes before authentication: a browser's preflight carries no credentials, and a
  // refusal must carry the Access-Control-* headers for the page to be able to read it.
  const origin = headers.origin?.[0];
  if (req.method === 'OPTIONS') return answerPreflight(req, res, storage, address.bucket, address.key, headers);
  if (origin && address.bucket) applyCorsHeaders(res, storage, address.bucket, origin, req.method);

  if (isBrowserPost(req.method, address, signable.rawQuery)) {
    locals.record.operation = 'PostObject';
    if (!/^multipart\/form-data\b/i.test(headers['content-type']?.[0] ?? '')) {
      throw new S3Error('PostNotMultipart', { elements: { Condition: 'Bucket POST must be of the enclosure-type multipart/form-data' } });
    }
    return handlePostObject({
      req,
      res,
      config,
      storage,
      clock,
      now,
      requestId: locals.requestId,
      bucket: address.bucket!,
      headers,
      record: (patch) => Object.assign(locals.record, patch),
    });
  }

  let bucketRead: BucketRead | undefined;
  const result = verifyRequest(signable, {
    now,
    region: config.region,
    lookupToken: (id) => {
      if (!address.bucket) return storage.meta.getToken(id);
      const read = storage.meta.getTokenAndBucket(id, address.bucket);
      bucketRead = { name: address.bucket, record: read.bucket };
      return read.token;
    },
  });
  locals.record.authKind = result.kind;
  locals.record.accessKeyId = result.accessKeyId;
  if (!result.ok) {
    const err = S3Error.fromAuthFailure(result.failure, result.steps);
    if (result.failure.reason === 'HeaderRegionWrong') err.headers['x-amz-bucket-region'] = config.region;
    throw err;
  }

  const principal: Principal = { kind: result.kind, token: result.token, payload: result.payload, steps: result.steps };
  const ctx: RequestContext = {
    req,
    res,
    config,
    storage,
    clock,
    now,
    requestId: locals.requestId,
    bucket: address.bucket,
    key: address.key,
    query: new URLSearchParams(signable.rawQuery),
    headers,
    principal,
    bucketRead,
    authorize(request: AccessRequest) {
      const verdict = authorize(principal.token, request);
      principal.steps.push(verdict.step);
      if (!verdict.ok) throw S3Error.fromAuthFailure(verdict.failure, principal.steps);
    },
  };
  const operation = resolveOperation(ctx);
  locals.record.operation = operation.name;
  ctx.authorize(operation.access(ctx));
  // A client that sent `Expect: 100-continue` may send its body only once the operation reads
  // it: a request refused by its headers (signature, scope, EntityTooLarge, KeyTooLongError…)
  // never makes it upload (see the server's checkContinue handler).
  if ((req as ExpectingRequest).signetExpectsContinue) continueWhenRead(req, res);
  const running = operation.run(ctx);
  // The operation has yielded for the first time: what it reads from now on, it reads afresh.
  ctx.bucketRead = undefined;
  await running;
}

function bucketCors(storage: Storage, bucket: string | undefined) {
  if (!bucket) return undefined;
  return parseStoredCors(storage.meta.getBucket(bucket)?.cors ?? null);
}

function answerPreflight(
  req: Request,
  res: Response,
  storage: Storage,
  bucket: string | undefined,
  key: string | undefined,
  headers: Record<string, string[]>,
): void {
  const corsHeaders = evaluatePreflight(bucketCors(storage, bucket), {
    origin: headers.origin?.[0],
    method: headers['access-control-request-method']?.[0],
    requestHeaders: headers['access-control-request-headers']?.join(','),
    resourceType: key === undefined ? 'BUCKET' : 'OBJECT',
  });
  for (const [name, value] of Object.entries(corsHeaders)) res.setHeader(name, value);
  res.statusCode = 200;
  res.end();
  void req;
}

function applyCorsHeaders(res: Response, storage: Storage, bucket: string, origin: string, method: string): void {
  const rules = bucketCors(storage, bucket);
  const rule = rules && findCorsRule(rules, origin, method, []);
  if (!rule) return;
  for (const [name, value] of Object.entries(corsHeaders(rule, origin, undefined))) res.setHeader(name, value);
}

/**
 * Sends `100 Continue` when the body starts flowing (every body reader pipes the request, which
 * resumes it). sendError resumes a refused request still waiting for it only after writing its
 * answer, and a final answer makes the 100 moot.
 */
function continueWhenRead(req: Request, res: Response): void {
  req.once('resume', () => {
    if (!res.headersSent && !res.writableEnded) res.writeContinue();
  });
}

/**
 * The app's side of the server's idle timeout (src/server.ts SERVER_TIMEOUTS): Node emits
 * 'timeout' on the request while its body is incomplete, and on the response in every case.
 *
 *   body stalled      400 RequestTimeout, then the connection closes (sendError: Connection: close)
 *                     and the request is destroyed, which fails the body pipeline cleanly
 *   response stalled  the client stopped reading: cut the connection
 *   neither           the server itself is busy (a long CompleteMultipartUpload): keep waiting,
 *                     which a listener that does nothing achieves (Node destroys the socket only
 *                     when nobody listens)
 */
function watchIdle(req: Request, res: Response): void {
  req.on('timeout', () => {
    sendError(new S3Error('RequestTimeout'), req, res);
    // Node does not abort a request whose answer is complete when its connection closes: the
    // operation still reading the body must be told it will never end, or its upload's temp
    // file (and the operation itself) would wait forever.
    const socket = req.socket;
    if (socket.destroyed) req.destroy();
    else socket.once('close', () => req.destroy());
  });
  res.on('timeout', () => {
    if (!req.complete) return;
    if (res.writableNeedDrain || (res.socket?.writableLength ?? 0) > 0) res.destroy();
  });
}

/** Set by the server for requests that arrived with `Expect: 100-continue`. */
export interface ExpectingRequest {
  signetExpectsContinue?: boolean;
}

function hostIdFor(requestId: string): string {
  return Buffer.from(`signet/${requestId}`).toString('base64');
}

export function sendError(err: unknown, req: Request, res: Response): void {
  const locals = res.locals.signet as Locals | undefined;
  const requestId = locals?.requestId ?? newRequestId();
  const s3err = isS3Error(err) ? err : new S3Error('InternalError', { cause: err });
  if (!isS3Error(err)) {
    // The stack goes to the server's stderr, never to the client.
    console.error(`signet: internal error on ${req.method} ${safePath(req)}:`, err);
  }
  if (locals) {
    locals.record.errorCode = s3err.code;
    if (s3err.steps) locals.record.steps = s3err.steps;
  }
  if (res.headersSent) {
    // Mid-stream failure: the only honest signal left is to cut the connection.
    res.destroy();
    return;
  }
  for (const [name, value] of Object.entries(s3err.headers)) res.setHeader(name, value);
  res.statusCode = s3err.status;
  const write = () => {
    if (res.headersSent || res.destroyed) return;
    if (req.method === 'HEAD' || s3err.status === 304) {
      res.end();
      return;
    }
    const body = renderErrorXml(s3err, safePath(req), requestId, hostIdFor(requestId));
    res.setHeader('Content-Type', 'application/xml');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  };
  if (req.complete) return write();
  // A refused upload's body is never stored. A client that waits for `100 Continue` has not
  // sent it and never will; one that stalled will not finish it: answer those at once and
  // close. Otherwise read and drop what is left (when small) so the client can read the answer.
  const waitingForContinue = (req as ExpectingRequest).signetExpectsContinue && !req.readableFlowing;
  if (waitingForContinue || s3err.code === 'RequestTimeout') {
    res.setHeader('Connection', 'close');
    req.resume();
    return write();
  }
  void drainRequest(req).then((drained) => {
    if (!drained) res.setHeader('Connection', 'close');
    write();
  });
}

/** The request path without its query (which may carry signatures). */
export function safePath(req: Request): string {
  const url = req.originalUrl ?? req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function finishRecord(req: Request, res: Response, locals: Locals): RequestRecord {
  const durationMs = Number(process.hrtime.bigint() - locals.started) / 1e6;
  return {
    requestId: locals.requestId,
    time: new Date().toISOString(),
    method: req.method,
    path: safePath(req),
    status: res.statusCode,
    durationMs: Math.round(durationMs * 10) / 10,
    // Read from the connection while this request was served (its body; keep-alive safe).
    bytesIn: Math.max(0, (req.socket?.bytesRead ?? 0) - locals.socketBytesAtStart),
    bytesOut: Number(res.getHeader('content-length') ?? 0),
    ...locals.record,
  };
}
