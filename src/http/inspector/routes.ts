/**
 * The web inspector under /_signet/ (path-style hosts only; see src/http/app.ts):
 *
 *   GET  /_signet/                        overview: buckets, tokens, live request log
 *   GET  /_signet/browse?bucket=&prefix=&delimiter=&after=
 *   GET  /_signet/download?bucket=&key=   object bytes, as an attachment, no signature
 *   GET  /_signet/request/:requestId      one logged request: its verdict and steps
 *   GET  /_signet/explain                 the explain form; POST shows every step
 *   GET  /_signet/fragments/requests      the log table's rows (the page's polling script)
 *   GET  /_signet/requests                the request log as JSON (see requests-api.ts)
 *
 * Everything but /requests is for this machine only unless --inspector-public (access.ts).
 * Nothing here changes state: the inspector only reads.
 */
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { AppDeps } from '../s3-handler.ts';
import { requestLogOf } from '../../log/request-log.ts';
import { inspectorGuard } from './access.ts';
import { explainPage, hintsForLoggedRequest } from './explain-page.ts';
import { html, newNonce, page, sendPage } from './html.ts';
import { LOG_POLLING_SCRIPT, renderBrowse, renderOverview, renderRequest, renderRequestRows } from './pages.ts';
import { rawQueryOf, requestsApi } from './requests-api.ts';

const PAGE_SIZE = 200;
const LOG_ROWS = 100;

export function inspectorRoutes(deps: AppDeps): Router {
  const { config, storage, clock } = deps;
  const router = Router();
  const guard = inspectorGuard(config);

  router.get('/requests', requestsApi(deps));

  router.get('/', guard, (req: Request, res: Response) => {
    // /_signet without the slash would resolve relative links wrongly; every link is absolute.
    const refusedOnly = rawQueryOf(req).get('refused') === '1';
    const log = requestLogOf(storage);
    const nonce = newNonce();
    const body = renderOverview({
      buckets: storage.meta.listBuckets(),
      tokens: storage.meta.listTokens(),
      now: clock.now(),
      region: config.region,
      requests: log?.query({ limit: LOG_ROWS, ...(refusedOnly ? { status: { from: 400, to: 599 } } : {}) }),
      refusedOnly,
    });
    sendPage(res, page('Overview', body, { nonce, script: LOG_POLLING_SCRIPT }), nonce);
  });

  router.get('/fragments/requests', guard, (req: Request, res: Response) => {
    const params = rawQueryOf(req);
    const log = requestLogOf(storage);
    const limit = Math.min(Math.max(Number(params.get('limit')) || LOG_ROWS, 1), 1000);
    const rows = log?.query({ limit, ...(params.get('refused') === '1' ? { status: { from: 400, to: 599 } } : {}) }) ?? [];
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.type('text/html; charset=utf-8').send(renderRequestRows(rows).text);
  });

  router.get('/browse', guard, (req: Request, res: Response) => {
    const params = rawQueryOf(req);
    const bucket = params.get('bucket') ?? '';
    if (!storage.meta.getBucket(bucket)) return notFound(res, html`No bucket named <span class="mono">${bucket}</span>.`);
    const prefix = params.get('prefix') ?? '';
    const delimiter = params.has('delimiter') ? params.get('delimiter')! : '/';
    const after = params.get('after') ?? '';
    const listing = storage.meta.listObjects(bucket, { prefix, delimiter, after, maxKeys: PAGE_SIZE });
    sendPage(res, page(`Bucket ${bucket}`, renderBrowse({ bucket, prefix, delimiter, after, page: listing })));
  });

  router.get('/download', guard, (req: Request, res: Response) => {
    const params = rawQueryOf(req);
    const bucket = params.get('bucket') ?? '';
    const key = params.get('key') ?? '';
    const object = storage.meta.getObject(bucket, key);
    if (!object) return notFound(res, html`No object <span class="mono">${key}</span> in bucket <span class="mono">${bucket}</span>.`);
    // Always an attachment, never rendered: a stored HTML object must not run on this origin.
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Disposition', contentDisposition(key));
    res.setHeader('Content-Length', String(object.size));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-store');
    if (req.method === 'HEAD') return void res.end();
    const stream = storage.blobs.read(object.blobId);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  });

  // Read from the raw path, not a route parameter: Express answers an undecodable one (%zz) with an error.
  router.use('/request', guard, (req: Request, res: Response, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const requestId = req.path.slice(1);
    const log = requestLogOf(storage);
    const found = /^[0-9A-Za-z]{1,64}$/.test(requestId) ? log?.query({ requestId, limit: 1 })[0] : undefined;
    if (!found) return notFound(res, html`No logged request with id <span class="mono">${requestId}</span> (the log keeps the last 10,000).`);
    sendPage(res, page(`${found.method} ${found.path}`, renderRequest(found, hintsForLoggedRequest(found))));
  });

  const form = express.urlencoded({ extended: false, limit: '256kb' });
  router.get('/explain', guard, (req: Request, res: Response) => explainPage(req, res, deps, undefined));
  router.post('/explain', guard, form, (req: Request, res: Response) => explainPage(req, res, deps, req.body as Record<string, unknown>));
  // A form body too large or not decodable is the user's to fix, not an internal error.
  router.use('/explain', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const status = (err as { status?: unknown })?.status;
    if (typeof status !== 'number' || status < 400 || status > 499) return next(err);
    sendPage(res, page('Explain a request', html`<h1>Explain a request</h1><p class="verdict refused">The form could not be read: ${(err as Error).message}.</p><p><a href="/_signet/explain">Back to the form</a></p>`), undefined, status);
  });

  return router;
}

function notFound(res: Response, message: ReturnType<typeof html>): void {
  sendPage(res, page('Not found', html`<h1>Not found</h1><p>${message}</p><p><a href="/_signet/">Back to the overview</a></p>`), undefined, 404);
}

/** attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded (RFC 6266). */
export function contentDisposition(key: string): string {
  const name = key.split('/').filter(Boolean).pop() ?? 'object';
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
