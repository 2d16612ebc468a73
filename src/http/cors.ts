/**
 * Bucket CORS as S3 does it: the rules (PutBucketCors XML, stored as JSON on the bucket), the
 * preflight answer for OPTIONS, and the headers added to actual cross-origin responses.
 *
 *   <CORSConfiguration>
 *     <CORSRule>
 *       <ID>optional</ID>
 *       <AllowedOrigin>https://*.example.com</AllowedOrigin>   one or more; at most one '*' each
 *       <AllowedMethod>PUT</AllowedMethod>                      GET | PUT | POST | DELETE | HEAD
 *       <AllowedHeader>*</AllowedHeader>                        zero or more; '*' wildcards
 *       <ExposeHeader>ETag</ExposeHeader>                       zero or more
 *       <MaxAgeSeconds>3000</MaxAgeSeconds>                     optional
 *     </CORSRule>
 *   </CORSConfiguration>
 *
 * The first rule whose origin, method and every requested header match wins (S3 evaluates the
 * rules in order).
 */
import { createRequire } from 'node:module';
import { escapeXml } from './error-xml.ts';
import { S3Error } from './s3-errors.ts';

// The CommonJS build: one bundled file, where the ES module build is some thirty, each a round
// trip through tsx's loader when `signet serve` starts (about 50 ms of its cold start).
const { XMLParser } = createRequire(import.meta.url)('fast-xml-parser') as typeof import('fast-xml-parser');

export interface CorsRule {
  id?: string;
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

const CORS_METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'HEAD']);
const MAX_RULES = 100;

// AWS's own text, typo ("evalution") included.
const NOT_ALLOWED =
  "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";
const NOT_ENABLED = 'CORSResponse: CORS is not enabled for this bucket.';

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => ['CORSRule', 'AllowedOrigin', 'AllowedMethod', 'AllowedHeader', 'ExposeHeader'].includes(name),
});

function asStrings(v: unknown): string[] {
  return Array.isArray(v) ? v.map((x) => String(x)) : [];
}

/** Parses and validates a PutBucketCors body; throws S3Error (MalformedXML / InvalidRequest). */
export function parseCorsXml(xml: string): CorsRule[] {
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml, true) as Record<string, unknown>;
  } catch {
    throw new S3Error('MalformedXML');
  }
  const config = doc.CORSConfiguration as Record<string, unknown> | undefined;
  const rawRules = config && typeof config === 'object' ? (config.CORSRule as Array<Record<string, unknown>> | undefined) : undefined;
  if (!rawRules || rawRules.length === 0 || rawRules.length > MAX_RULES) throw new S3Error('MalformedXML');
  return rawRules.map((r) => {
    if (!r || typeof r !== 'object') throw new S3Error('MalformedXML');
    const rule: CorsRule = {
      id: r.ID === undefined ? undefined : String(r.ID),
      allowedOrigins: asStrings(r.AllowedOrigin),
      allowedMethods: asStrings(r.AllowedMethod),
      allowedHeaders: asStrings(r.AllowedHeader),
      exposeHeaders: asStrings(r.ExposeHeader),
      maxAgeSeconds: r.MaxAgeSeconds === undefined ? undefined : Number(r.MaxAgeSeconds),
    };
    if (rule.allowedOrigins.length === 0 || rule.allowedMethods.length === 0) throw new S3Error('MalformedXML');
    for (const m of rule.allowedMethods) {
      if (!CORS_METHODS.has(m)) {
        throw new S3Error('InvalidRequest', { message: `Found unsupported HTTP method in CORS config. Unsupported method is ${m}` });
      }
    }
    for (const o of rule.allowedOrigins) {
      if ((o.match(/\*/g) ?? []).length > 1) {
        throw new S3Error('InvalidRequest', { message: `AllowedOrigin "${o}" can not have more than one wildcard.` });
      }
    }
    if (rule.maxAgeSeconds !== undefined && (!Number.isInteger(rule.maxAgeSeconds) || rule.maxAgeSeconds < 0)) {
      throw new S3Error('MalformedXML');
    }
    return rule;
  });
}

export function corsToXml(rules: CorsRule[]): string {
  let xml = '<?xml version="1.0" encoding="UTF-8"?>\n<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">';
  for (const r of rules) {
    xml += '<CORSRule>';
    if (r.id !== undefined) xml += `<ID>${escapeXml(r.id)}</ID>`;
    for (const h of r.allowedHeaders) xml += `<AllowedHeader>${escapeXml(h)}</AllowedHeader>`;
    for (const m of r.allowedMethods) xml += `<AllowedMethod>${m}</AllowedMethod>`;
    for (const o of r.allowedOrigins) xml += `<AllowedOrigin>${escapeXml(o)}</AllowedOrigin>`;
    for (const e of r.exposeHeaders) xml += `<ExposeHeader>${escapeXml(e)}</ExposeHeader>`;
    if (r.maxAgeSeconds !== undefined) xml += `<MaxAgeSeconds>${r.maxAgeSeconds}</MaxAgeSeconds>`;
    xml += '</CORSRule>';
  }
  return `${xml}</CORSConfiguration>`;
}

/** A rule that lets the given origins do everything, for local development (`bucket create --cors-origin`). */
export function permissiveRule(origins: string[]): CorsRule {
  return {
    allowedOrigins: origins,
    allowedMethods: ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'],
    allowedHeaders: ['*'],
    exposeHeaders: ['ETag', 'x-amz-request-id', 'x-amz-version-id', 'x-amz-checksum-crc32', 'Location'],
    maxAgeSeconds: 3000,
  };
}

/** Case-insensitive match with at most one '*' standing for any run of characters. */
export function wildcardMatch(pattern: string, value: string): boolean {
  const p = pattern.toLowerCase();
  const v = value.toLowerCase();
  const star = p.indexOf('*');
  if (star === -1) return p === v;
  const head = p.slice(0, star);
  const tail = p.slice(star + 1);
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
}

export function parseStoredCors(json: string | null): CorsRule[] | undefined {
  if (!json) return undefined;
  try {
    return JSON.parse(json) as CorsRule[];
  } catch {
    return undefined;
  }
}

export function findCorsRule(rules: CorsRule[], origin: string, method: string, requestHeaders: string[]): CorsRule | undefined {
  return rules.find(
    (r) =>
      r.allowedOrigins.some((o) => wildcardMatch(o, origin)) &&
      r.allowedMethods.includes(method) &&
      requestHeaders.every((h) => r.allowedHeaders.some((a) => wildcardMatch(a, h))),
  );
}

/** The Access-Control-* headers S3 sends for a matched rule. */
export function corsHeaders(rule: CorsRule, origin: string, requestHeaders: string[] | undefined): Record<string, string> {
  const wildcardOnly = rule.allowedOrigins.includes('*');
  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': wildcardOnly ? '*' : origin,
    'Access-Control-Allow-Methods': rule.allowedMethods.join(', '),
    Vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
  if (!wildcardOnly) headers['Access-Control-Allow-Credentials'] = 'true';
  if (requestHeaders && requestHeaders.length) headers['Access-Control-Allow-Headers'] = requestHeaders.join(', ');
  if (rule.exposeHeaders.length) headers['Access-Control-Expose-Headers'] = rule.exposeHeaders.join(', ');
  if (rule.maxAgeSeconds !== undefined) headers['Access-Control-Max-Age'] = String(rule.maxAgeSeconds);
  return headers;
}

export function parseRequestHeaderList(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
}

/**
 * The answer to a preflight OPTIONS: the headers to send with 200, or an S3Error
 * (400 when Origin or Access-Control-Request-Method is missing, 403 AccessForbidden otherwise).
 */
export function evaluatePreflight(
  rules: CorsRule[] | undefined,
  input: { origin?: string; method?: string; requestHeaders?: string; resourceType: 'BUCKET' | 'OBJECT' },
): Record<string, string> {
  if (!input.origin) throw new S3Error('InvalidRequest', { message: 'Insufficient information. Origin request header needed.' });
  if (!input.method) {
    throw new S3Error('InvalidRequest', { message: 'Invalid Access-Control-Request-Method: null' });
  }
  const elements = { Method: input.method, ResourceType: input.resourceType };
  if (!rules) throw new S3Error('AccessForbidden', { message: NOT_ENABLED, elements });
  const requested = parseRequestHeaderList(input.requestHeaders);
  const rule = findCorsRule(rules, input.origin, input.method, requested);
  if (!rule) throw new S3Error('AccessForbidden', { message: NOT_ALLOWED, elements });
  return corsHeaders(rule, input.origin, requested);
}
