/**
 * The request the server would receive for a URL, built as an HTTP client sends it and as the
 * server captures it (src/http/signable-request.ts):
 *
 *   http://127.0.0.1:9000/bkt/a%20b?X-Amz-Date=…   ->  method   GET (or --method)
 *                                                      rawPath  /bkt/a%20b     (as typed)
 *                                                      rawQuery X-Amz-Date=…   (as typed)
 *                                                      host     127.0.0.1:9000 (the authority)
 *
 * The Host is the URL's authority, lower-cased and without a default port (:80 for http,
 * :443 for https), as fetch, curl and the SDK signers write it, unless a Host header is given.
 */
import { splitRequestTarget } from '../http/signable-request.ts';

/** Input the caller must fix (a URL that is not http(s), a header line without a name). */
export class ExplainInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExplainInputError';
  }
}

export interface BuiltRequest {
  method: string;
  url: string;
  /** The URL's own Host (authority), whatever Host header was given */
  urlHost: string;
  rawPath: string;
  rawQuery: string;
  headers: Record<string, string[]>;
}

const URL_PATTERN = /^(https?):\/\/([^/?#]*)([^#]*)/i;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function hostOfUrl(url: string): string {
  const m = URL_PATTERN.exec(url);
  if (!m || m[2] === '') throw new ExplainInputError(`"${url}" is not an http:// or https:// URL with a host`);
  const scheme = m[1]!.toLowerCase();
  const authority = m[2]!.replace(/^[^@]*@/, '').toLowerCase();
  const defaultPort = scheme === 'https' ? ':443' : ':80';
  return authority.endsWith(defaultPort) ? authority.slice(0, -defaultPort.length) : authority;
}

export function buildRequest(input: { url: string; method?: string; headers?: ReadonlyArray<readonly [string, string]> }): BuiltRequest {
  const url = input.url.trim();
  const urlHost = hostOfUrl(url);
  const withoutFragment = url.replace(/#.*$/s, '');
  const { rawPath, rawQuery } = splitRequestTarget(withoutFragment);
  const method = (input.method ?? 'GET').trim().toUpperCase();
  if (!HEADER_NAME.test(method)) throw new ExplainInputError(`"${input.method}" is not an HTTP method`);

  const given: Record<string, string[]> = Object.create(null);
  for (const [name, value] of input.headers ?? []) {
    if (!HEADER_NAME.test(name)) throw new ExplainInputError(`"${name}" is not a header name`);
    (given[name.toLowerCase()] ??= []).push(value);
  }
  const headers: Record<string, string[]> = Object.create(null);
  // Clients send Host first; only the order of values within one name matters to signatures.
  if (given.host === undefined) headers.host = [urlHost];
  Object.assign(headers, given);
  return { method, url, urlHost, rawPath, rawQuery, headers };
}

/**
 * `--header` syntax, as curl's -H:
 *   'Content-Type: image/png'  the header, value trimmed
 *   'Content-Type;'            the header with an empty value
 *   'Content-Type:'            returns undefined: no such header (curl removes it)
 */
export function parseHeaderLine(line: string): readonly [string, string] | undefined {
  const colon = line.indexOf(':');
  if (colon === -1) {
    const name = line.trim().replace(/;$/, '');
    if (line.trim().endsWith(';') && HEADER_NAME.test(name)) return [name, ''];
    throw new ExplainInputError(`"${line}" is not a header: write it as 'Name: value'`);
  }
  const name = line.slice(0, colon).trim();
  if (!HEADER_NAME.test(name)) throw new ExplainInputError(`"${line}" is not a header: write it as 'Name: value'`);
  const value = line.slice(colon + 1).trim();
  return value === '' ? undefined : [name, value];
}
