// STUB: replaced by the demo-page helper (issue 4).
import { Router } from 'express';
import type { AppDeps } from '../app.ts';

export function demoRoutes(_deps: AppDeps): Router {
  return Router();
}
