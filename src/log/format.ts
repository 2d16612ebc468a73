/** How `signet log` prints one logged request as text. */
import type { LoggedRequest } from './request-log.ts';

/**
 *   2026-01-01T10:00:00.123Z GET /photos/cat.png 403 SignatureDoesNotMatch 1.2ms sigv4-query AKID… failed at signature: …
 *
 * Time, method, path (never the query), status, S3 error code, duration, auth kind, access
 * key id, and for refusals the step that failed.
 */
export function formatLogLine(r: LoggedRequest): string {
  const parts = [r.time, r.method, r.path, String(r.status)];
  if (r.errorCode) parts.push(r.errorCode);
  parts.push(`${r.durationMs}ms`);
  if (r.authKind) parts.push(r.authKind);
  if (r.accessKeyId) parts.push(r.accessKeyId);
  const failed = r.steps?.find((s) => !s.ok);
  if (failed) parts.push(`failed at ${failed.name}: ${oneLine(failed.summary)}`);
  return parts.join(' ');
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
