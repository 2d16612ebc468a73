/**
 * The browser-upload demo, mounted at /_signet/demo only when the server runs with `--demo`
 * (config.demoAccessKeyId):
 *
 *   GET /_signet/demo/upload   a self-contained HTML page (no CDN, works offline): a plain HTML
 *                              form and a fetch() uploader that post a file straight to a bucket
 *   GET /_signet/demo/policy   signs a POST policy with the demo token, as an app's backend
 *                              would: ?bucket=&key=&maxSize=&minSize=&contentType=
 *                              &successActionStatus=&signatureVersion=v2&expiresIn=&x-amz-meta-*=
 *                              -> { bucket, key, fields, expiresAt }
 *
 * The page may be served from one origin and post to signet at another (?endpoint=URL), which
 * is what CORS is for: the bucket needs a rule for the page's origin
 * (`signet bucket create NAME --cors-origin ORIGIN`). The policy helper answers any origin:
 * it exists only in demo mode, and what it hands out is a policy scoped to one key pattern and
 * size, never the secret.
 */
import { Router, type Request, type Response } from 'express';
import type { AppDeps } from '../app.ts';
import { createPresignedPost } from '../../policy/presigned-post.ts';
import { renderUploadPage } from './page.ts';

/** Seconds a demo policy stays valid unless ?expiresIn= says otherwise. */
const DEFAULT_EXPIRES_IN = 600;
/** SigV4's longest validity (a week), also the cap here. */
const MAX_EXPIRES_IN = 604800;
const MAX_SIZE_LIMIT = 5 * 1024 ** 3;

export function demoRoutes(deps: AppDeps): Router {
  const router = Router();
  router.get('/', (req: Request, res: Response) => {
    res.redirect(303, `${req.baseUrl}/upload`);
  });
  router.get('/upload', (_req: Request, res: Response) => {
    const html = renderUploadPage({ accessKeyId: deps.config.demoAccessKeyId ?? '', region: deps.config.region });
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.send(html);
  });
  router.get('/policy', (req: Request, res: Response) => {
    // A simple GET from the page's origin, which may not be signet's.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cache-Control', 'no-store');
    const outcome = signDemoPolicy(deps, new URL(req.originalUrl, 'http://signet.invalid').searchParams);
    res.status(outcome.status).json(outcome.body);
  });
  return router;
}

interface PolicyAnswer {
  status: number;
  body: Record<string, unknown>;
}

function signDemoPolicy(deps: AppDeps, query: URLSearchParams): PolicyAnswer {
  const { config, storage, clock } = deps;
  const accessKeyId = config.demoAccessKeyId ?? '';
  const bucket = query.get('bucket') ?? '';
  const key = query.get('key') || 'uploads/${filename}';
  if (!bucket) return refuse(400, 'give the bucket: ?bucket=NAME');

  const expiresIn = integer(query.get('expiresIn')) ?? DEFAULT_EXPIRES_IN;
  const maxSize = integer(query.get('maxSize'));
  const minSize = integer(query.get('minSize')) ?? 0;
  if (expiresIn === 'invalid' || expiresIn < 1 || expiresIn > MAX_EXPIRES_IN) return refuse(400, `expiresIn must be 1 to ${MAX_EXPIRES_IN} seconds`);
  if (maxSize === 'invalid' || minSize === 'invalid' || (maxSize !== undefined && (maxSize > MAX_SIZE_LIMIT || maxSize < minSize))) {
    return refuse(400, `maxSize and minSize must be whole numbers of bytes, minSize <= maxSize <= ${MAX_SIZE_LIMIT}`);
  }

  const token = storage.meta.getToken(accessKeyId);
  if (!token) {
    return refuse(503, `the demo token ${accessKeyId} does not exist: create it with \`signet token create\`, or start with --demo alone to sign with the root token`);
  }

  const fields: Record<string, string> = {};
  const contentType = query.get('contentType');
  if (contentType) fields['Content-Type'] = contentType;
  fields.success_action_status = query.get('successActionStatus') || '201';
  for (const [name, value] of query) {
    if (name.toLowerCase().startsWith('x-amz-meta-') && name.length > 'x-amz-meta-'.length) fields[name.toLowerCase()] = value;
  }
  const conditions: unknown[] = maxSize === undefined ? [] : [['content-length-range', minSize, maxSize]];
  const now = clock.now();
  const signed = createPresignedPost({
    bucket,
    key,
    accessKeyId,
    // Read here, used to sign, never sent: the page only ever sees the signature fields.
    secretAccessKey: token.secretAccessKey,
    region: config.region,
    now,
    expiresIn,
    conditions,
    fields,
    signatureVersion: query.get('signatureVersion') === 'v2' ? 'v2' : 'v4',
  });
  return {
    status: 200,
    body: { bucket, key, fields: signed.fields, expiresAt: new Date(now.getTime() + expiresIn * 1000).toISOString() },
  };
}

function refuse(status: number, error: string): PolicyAnswer {
  return { status, body: { error } };
}

/** A whole number of at most 16 digits; undefined when absent or empty. */
function integer(value: string | null): number | undefined | 'invalid' {
  if (value === null || value === '') return undefined;
  return /^\d{1,16}$/.test(value) ? Number(value) : 'invalid';
}
