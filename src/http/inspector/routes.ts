// STUB: replaced by the inspector helper (issue 5).
import { Router } from 'express';
import type { AppDeps } from '../app.ts';

export function inspectorRoutes(_deps: AppDeps): Router {
  return Router();
}
