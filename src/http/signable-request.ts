/**
 * Captures a request exactly as it arrived, before any routing or rewriting: the raw path and
 * raw query from the request-target, and every header value in arrival order. Signatures are
 * verified against this, never against Express's parsed and decoded views (req.query merges
 * repeated keys and decodes '+'; req.headers joins duplicates with ", " and drops some).
 */
import type { IncomingMessage } from 'node:http';
import type { SignableRequest } from '../auth/types.ts';

/** Splits a request-target into raw path and raw query. Absolute-form targets lose their authority. */
export function splitRequestTarget(target: string): { rawPath: string; rawQuery: string } {
  let rest = target;
  const schemeEnd = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.exec(rest);
  if (schemeEnd) {
    const afterAuthority = rest.indexOf('/', schemeEnd[0].length);
    const q = rest.indexOf('?', schemeEnd[0].length);
    const cut = afterAuthority === -1 ? (q === -1 ? rest.length : q) : q !== -1 && q < afterAuthority ? q : afterAuthority;
    rest = rest.slice(cut);
    if (!rest.startsWith('/')) rest = `/${rest}`;
  }
  const qi = rest.indexOf('?');
  if (qi === -1) return { rawPath: rest || '/', rawQuery: '' };
  return { rawPath: rest.slice(0, qi) || '/', rawQuery: rest.slice(qi + 1) };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Node hands header bytes over as latin-1 (one char per byte). Clients sign header values as
 * UTF-8 text, so a value whose bytes are valid UTF-8 is read back as UTF-8; anything else
 * stays as received.
 */
export function headerValueText(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(value)) return value;
  try {
    return strictUtf8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}

/** Lower-case header name -> values in arrival order (from rawHeaders: nothing joined or dropped). */
export function distinctHeaders(req: IncomingMessage): Record<string, string[]> {
  const out: Record<string, string[]> = Object.create(null);
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    (out[name] ??= []).push(headerValueText(raw[i + 1]!));
  }
  return out;
}

export function captureSignableRequest(
  req: IncomingMessage & { originalUrl?: string },
  headers: Record<string, string[]>,
  virtualHostBucket: string | undefined,
): SignableRequest {
  const { rawPath, rawQuery } = splitRequestTarget(req.originalUrl ?? req.url ?? '/');
  return { method: (req.method ?? 'GET').toUpperCase(), rawPath, rawQuery, headers, virtualHostBucket };
}
