/**
 * GET /_signet/requests?limit=&status=&bucket=  ->  {"requests": [newest first]}
 *
 *   limit   1..10000, default 100
 *   status  an exact status (403) or a class (4xx)
 *   bucket  exact bucket name
 *
 * Allowed to whoever may use the inspector (this machine, or anyone with --inspector-public),
 * and to a request signed by the root token from anywhere (SigV4 or SigV2, header or
 * presigned, verified by the same verifier as S3 requests). Anything else: 403.
 */
import type { Request, Response } from 'express';
import type { AppDeps } from '../s3-handler.ts';
import { verifyRequest } from '../../auth/verify-request.ts';
import { MAX_LIMIT, parseStatusFilter, requestLogOf, type RequestLogQuery } from '../../log/request-log.ts';
import { redactText } from '../../log/redact.ts';
import { captureSignableRequest, distinctHeaders } from '../signable-request.ts';
import { mayUseInspector } from './access.ts';

export function rawQueryOf(req: Request): URLSearchParams {
  const url = req.originalUrl ?? req.url ?? '';
  const q = url.indexOf('?');
  return new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
}

export type ParsedLogQuery = { ok: true; query: RequestLogQuery } | { ok: false; message: string };

export function parseLogQuery(params: URLSearchParams): ParsedLogQuery {
  const query: RequestLogQuery = {};
  const limit = params.get('limit');
  if (limit !== null && limit !== '') {
    if (!/^\d+$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_LIMIT) {
      return { ok: false, message: `limit must be a whole number from 1 to ${MAX_LIMIT}` };
    }
    query.limit = Number(limit);
  }
  const status = params.get('status');
  if (status !== null && status !== '') {
    const filter = parseStatusFilter(status);
    if (!filter) return { ok: false, message: 'status must be a status code such as 403 or a class such as 4xx' };
    query.status = filter;
  }
  const bucket = params.get('bucket');
  if (bucket !== null && bucket !== '') query.bucket = bucket;
  return { ok: true, query };
}

type RootCheck = { ok: true } | { ok: false; why: string };

/** Whether the request is signed by the (active) root token. */
export function checkRootSigned(req: Request, deps: AppDeps): RootCheck {
  const signable = captureSignableRequest(req, distinctHeaders(req), undefined);
  const result = verifyRequest(signable, {
    now: deps.clock.now(),
    region: deps.config.region,
    lookupToken: (id) => deps.storage.meta.getToken(id),
  });
  if (!result.ok) {
    const failed = result.steps.find((s) => !s.ok);
    return { ok: false, why: redactText(failed ? `${failed.name}: ${failed.summary}` : result.failure.reason) };
  }
  if (!result.token.root) return { ok: false, why: `the token ${result.accessKeyId} is not the root token` };
  return { ok: true };
}

export function requestsApi(deps: AppDeps) {
  return (req: Request, res: Response): void => {
    res.setHeader('Cache-Control', 'no-store');
    if (!mayUseInspector(req, deps.config)) {
      const root = checkRootSigned(req, deps);
      if (!root.ok) {
        res.status(403).json({
          error: 'AccessDenied',
          message: 'the request log is served to this machine (loopback) or to requests signed by the root token',
          why: root.why,
        });
        return;
      }
    }
    const parsed = parseLogQuery(rawQueryOf(req));
    if (!parsed.ok) {
      res.status(400).json({ error: 'InvalidArgument', message: parsed.message });
      return;
    }
    const log = requestLogOf(deps.storage);
    if (!log) {
      res.status(503).json({ error: 'NoRequestLog', message: 'this server keeps no request log' });
      return;
    }
    res.json({ requests: log.query(parsed.query) });
  };
}
