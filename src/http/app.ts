/**
 * The HTTP edge as an Express app. `createApp` builds one that never listens and never reads
 * process.env: config, storage and the clock come in as arguments. S3 requests go to the
 * handler of s3-handler.ts; Express adds signet's own endpoints under /_signet (health, the
 * request log, the inspector, the demo).
 *
 * The server (server.ts) loads this module only when one of those endpoints is first asked
 * for: S3 requests and the health check are answered by s3-handler.ts without Express.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { resolveAddress } from './address.ts';
import { demoRoutes } from './demo/routes.ts';
import { inspectorRoutes } from './inspector/routes.ts';
import { answerHealth, handleS3Request, sendError, startRequest, type AppDeps } from './s3-handler.ts';

export * from './s3-handler.ts';

export function createApp(deps: AppDeps): express.Express {
  const { config } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', false);

  app.use((req: Request, res: Response, next: NextFunction) => {
    startRequest(req, res, deps);
    next();
  });

  // signet's own endpoints. Not on virtual-hosted requests: there /_signet/… is an object key.
  const signetRoutes = express.Router();
  signetRoutes.get('/health', (req, res) => answerHealth(req, res, deps));
  if (config.demoAccessKeyId !== undefined) signetRoutes.use('/demo', demoRoutes(deps));
  signetRoutes.use(inspectorRoutes(deps));
  app.use('/_signet', (req: Request, res: Response, next: NextFunction) => {
    // next(), not next('router'): that would leave the app and skip the S3 handler below.
    if (resolveAddress(req.headers.host, '/').style === 'virtual') return next();
    signetRoutes(req, res, next);
  });

  app.use(async (req: Request, res: Response, next: NextFunction) => {
    try {
      await handleS3Request(req, res, deps);
    } catch (err) {
      next(err);
    }
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    sendError(err, req, res);
  });

  return app;
}
