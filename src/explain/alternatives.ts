/**
 * Evidence by re-verification: the same verifier the server runs, on a variant of the request
 * (another Host, the other addressing style, another method…). A variant whose signature
 * verifies proves what the client signed; nothing is guessed.
 *
 *   sent     GET  http://localhost:9000/bkt/k  ->  SignatureDoesNotMatch
 *   variant  Host 127.0.0.1:9000               ->  verifies: the URL was signed for 127.0.0.1:9000
 */
import type { SignableRequest, VerificationStep, VerifyContext, VerifyResult } from '../auth/types.ts';
import { verifyRequest } from '../auth/verify-request.ts';
import { hostnameOf } from '../http/address.ts';
import { percentDecode, uriEncode } from '../sigv4/uri-encode.ts';
import type { LineDifference } from './types.ts';

/** The port a signet server listens on by default (CONTRACT.md). */
export const DEFAULT_SERVER_PORT = '9000';

export type Accepted = Extract<VerifyResult, { ok: true }>;

export interface Match<T> {
  value: T;
  result: Accepted;
}

/** The first candidate whose request verifies, or undefined. */
export function firstVerifying<T>(candidates: Iterable<readonly [T, SignableRequest]>, ctx: VerifyContext): Match<T> | undefined {
  for (const [value, request] of candidates) {
    const result = verifyRequest(request, ctx);
    if (result.ok) return { value, result };
  }
  return undefined;
}

/**
 * What the signature covers, as the trace shows it: the canonical request for SigV4, the
 * string to sign (the form that matched, for SigV2) otherwise.
 */
export function signedText(steps: readonly VerificationStep[]): string | undefined {
  const canonical = steps.find((s) => s.name === 'canonical-request')?.detail.canonicalRequest;
  if (canonical !== undefined) return canonical;
  const stringToSign = steps.find((s) => s.name === 'string-to-sign');
  if (!stringToSign) return undefined;
  const form = steps.find((s) => s.name === 'signature')?.detail.form;
  return (form && form !== 'standard' ? stringToSign.detail[`stringToSign (${form})`] : undefined) ?? stringToSign.detail.stringToSign;
}

/** The lines that differ, by position (1-based); a missing line reads as ''. */
export function lineDifferences(signed: string, sent: string): LineDifference[] {
  const a = signed.split('\n');
  const b = sent.split('\n');
  const out: LineDifference[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) out.push({ line: i + 1, signed: a[i] ?? '', sent: b[i] ?? '' });
  }
  return out;
}

export function withHeader(req: SignableRequest, name: string, values: string[] | undefined): SignableRequest {
  const headers = { ...req.headers };
  if (values === undefined) delete headers[name];
  else headers[name] = values;
  return { ...req, headers };
}

export function portOf(host: string): string | undefined {
  const name = hostnameOf(host);
  const rest = host.trim().slice(name.length);
  return rest.startsWith(':') ? rest.slice(1) : undefined;
}

const LOOPBACK_SWAP: Record<string, string> = { localhost: '127.0.0.1', '127.0.0.1': 'localhost' };

/**
 * Hosts a proxy, Docker or a config could have put in place of the signed one: the URL's own
 * authority (when a Host header overrides it), any X-Forwarded-Host, the host without its
 * port or with signet's default port or :80/:443 (what LocalStack retries, reference §8.1),
 * and localhost <-> 127.0.0.1.
 */
export function hostCandidates(sentHost: string, urlHost: string, forwarded: readonly string[]): string[] {
  const name = hostnameOf(sentHost);
  const port = portOf(sentHost);
  const withPorts = (n: string) => [port === undefined ? n : `${n}:${port}`, n, `${n}:${DEFAULT_SERVER_PORT}`, `${n}:80`, `${n}:443`];
  const swapped = LOOPBACK_SWAP[name];
  const all = [urlHost, ...forwarded.flatMap((f) => f.split(',').map((h) => h.trim())), ...withPorts(name), ...(swapped ? withPorts(swapped) : [])];
  return [...new Set(all.filter((h) => h !== '' && h !== sentHost.trim().toLowerCase()))];
}

export interface AddressingVariant {
  style: 'path' | 'virtual';
  host: string;
  rawPath: string;
}

/**
 * The same request in the other addressing style:
 *   path     127.0.0.1:9000  /bkt/photo.jpg   <->   virtual  bkt.localhost:9000  /photo.jpg
 */
export function addressingCandidates(req: SignableRequest, sentHost: string, bucket: string | undefined, style: 'path' | 'virtual'): Array<readonly [AddressingVariant, SignableRequest]> {
  if (bucket === undefined) return [];
  const port = portOf(sentHost);
  const ports = [...new Set([port, undefined, DEFAULT_SERVER_PORT])];
  const at = (name: string, p: string | undefined) => (p === undefined ? name : `${name}:${p}`);
  const out: Array<readonly [AddressingVariant, SignableRequest]> = [];
  if (style === 'path') {
    const path = req.rawPath.slice(1);
    const slash = path.indexOf('/');
    const rest = slash === -1 ? '/' : path.slice(slash) || '/';
    for (const p of ports) {
      const host = at(`${bucket}.localhost`, p);
      out.push([{ style: 'virtual', host, rawPath: rest }, { ...withHeader(req, 'host', [host]), rawPath: rest, virtualHostBucket: bucket }]);
    }
  } else {
    const paths = req.rawPath === '/' ? [`/${bucket}`, `/${bucket}/`] : [`/${bucket}${req.rawPath}`];
    for (const name of ['localhost', '127.0.0.1']) {
      for (const p of ports) {
        const host = at(name, p);
        for (const rawPath of paths) {
          out.push([{ style: 'path', host, rawPath }, { ...withHeader(req, 'host', [host]), rawPath, virtualHostBucket: undefined }]);
        }
      }
    }
  }
  return out;
}

export const METHODS = ['GET', 'PUT', 'HEAD', 'DELETE', 'POST'] as const;

/**
 * Ways a path is commonly re-encoded between the signer and the server:
 *   '+' <-> %2B      S3 reads a raw '+' in a path as a space
 *   %XX -> %25XX     something decoded the path once after signing
 *   %25XX -> %XX     something encoded it twice
 *   canonical form   decoded once, re-encoded as SigV4 does (SigV2 signs the raw bytes)
 *   hex case         %c3%a9 <-> %C3%A9 (SigV2 signs the raw bytes)
 */
export function pathCandidates(rawPath: string): string[] {
  const candidates = [
    rawPath.replace(/\+/g, '%2B'),
    rawPath.replace(/%2B/gi, '+'),
    rawPath.replace(/%20/g, '+'),
    rawPath.replace(/%/g, '%25'),
    rawPath.replace(/%25([0-9A-Fa-f]{2})/g, '%$1'),
    uriEncode(percentDecode(rawPath, { plusAsSpace: true }), { keepSlash: true }),
    rawPath.replace(/%[0-9a-f]{2}/gi, (m) => m.toUpperCase()),
    rawPath.replace(/%[0-9a-f]{2}/gi, (m) => m.toLowerCase()),
  ];
  return [...new Set(candidates.filter((p) => p !== rawPath))];
}

/** Content types worth trying, besides none and the one for the key's extension. */
const COMMON_CONTENT_TYPES = [
  'application/octet-stream',
  'binary/octet-stream',
  'application/x-www-form-urlencoded',
  'text/plain',
  'text/plain;charset=UTF-8',
  'text/plain; charset=utf-8',
  'application/json',
  'application/xml',
  'text/html',
  'text/csv',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'image/svg+xml',
  'application/pdf',
  'application/zip',
  'video/mp4',
  'audio/mpeg',
];

const BY_EXTENSION: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  json: 'application/json',
  txt: 'text/plain',
  html: 'text/html',
  csv: 'text/csv',
  xml: 'application/xml',
  zip: 'application/zip',
  mp4: 'video/mp4',
  mp3: 'audio/mpeg',
};

/** Content-Type values to try: none, the key's extension type, case variants of the sent one, common types. */
export function contentTypeCandidates(sent: string | undefined, key: string | undefined): Array<string | undefined> {
  const ext = key?.includes('.') ? BY_EXTENSION[key.slice(key.lastIndexOf('.') + 1).toLowerCase()] : undefined;
  const variants = sent === undefined ? [] : [sent.toLowerCase(), sent.split(';')[0]!.trim()];
  const all: Array<string | undefined> = [undefined, ...(ext ? [ext] : []), ...variants, ...COMMON_CONTENT_TYPES];
  const seen = new Set<string>();
  return all.filter((v) => {
    const k = v ?? '\u0000none';
    if (v === sent || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
