/**
 * Hints for the classic traps, each found in the evidence and worded as a fix.
 *
 * Evidence means: the verifier's failure and trace, the request's own parameters, and
 * variants of the request re-verified with the same verifier (alternatives.ts). A hint that
 * names what was signed ("signed for Host 127.0.0.1:9000") is only given when a variant with
 * that value verified; nothing is guessed.
 */
import type { AuthFailure, SignableRequest, VerificationStep, VerifyContext, VerifyResult } from '../auth/types.ts';
import type { AccessRequest, Token } from '../access/types.ts';
import type { Address } from '../http/address.ts';
import { parseHttpDate as parseSigV2Date } from '../sigv2/http-date.ts';
import { splitRawQuery } from '../sigv2/query.ts';
import { verifyRequest } from '../auth/verify-request.ts';
import { MAX_PRESIGN_EXPIRES, MAX_SKEW_MS, QUERY } from '../sigv4/constants.ts';
import { parsePresignedQuery, parseRequestDate } from '../sigv4/parse.ts';
import { getQueryParam, parseRawQuery } from '../sigv4/query.ts';
import { formatErrorTime } from '../sigv4/time.ts';
import {
  addressingCandidates,
  contentTypeCandidates,
  firstVerifying,
  hostCandidates,
  lineDifferences,
  METHODS,
  pathCandidates,
  signedText,
  withHeader,
  type Match,
} from './alternatives.ts';
import type { BuiltRequest } from './request.ts';
import type { ExplainDeps, ExplainError, Hint } from './types.ts';

export interface Evidence {
  built: BuiltRequest;
  /** The request as the server would capture it */
  request: SignableRequest;
  address: Address;
  ctx: VerifyContext;
  deps: ExplainDeps;
  result: VerifyResult;
  /** The verifier's steps and the authorize steps */
  steps: VerificationStep[];
  /** The verifier's failure, when authentication failed */
  failure?: AuthFailure;
  /** The access the token was refused, when authorization failed */
  denied?: AccessRequest;
  operation?: string;
  error?: ExplainError;
}

type Finder = (e: Evidence) => Hint | Hint[] | undefined;

const FINDERS: Finder[] = [
  anonymousHint,
  multipleAuthHint,
  sigv2Hint,
  regionHint,
  sessionTokenHint,
  tokenHint,
  headersNotSignedHint,
  timeHint,
  signatureHints,
  scopeHint,
  contentTypeUnsignedHint,
  emptyBodyCrc32Hint,
  existenceHint,
];

export function findHints(e: Evidence): Hint[] {
  return FINDERS.flatMap((find) => find(e) ?? []);
}

// ------------------------------------------------------------------ detection

function anonymousHint(e: Evidence): Hint | undefined {
  if (e.failure?.reason !== 'AnonymousAccessDenied') return undefined;
  return {
    id: 'anonymous',
    message:
      'the request carries no credentials (no X-Amz-Signature, Signature or Authorization header), and signet serves no anonymous requests. ' +
      'Presign the URL with a token (JS SDK getSignedUrl, boto3 generate_presigned_url, aws s3 presign) or sign the request.',
  };
}

function multipleAuthHint(e: Evidence): Hint | undefined {
  if (e.failure?.reason !== 'MultipleAuthMechanisms') return undefined;
  const mechanisms = e.steps.find((s) => s.name === 'detect')?.detail.mechanisms ?? '';
  return {
    id: 'multiple-auth',
    message:
      `the request carries ${mechanisms}, and S3 accepts only one. A presigned URL must be sent without an Authorization header: ` +
      'an HTTP client default (axios auth, a fetch wrapper) or a proxy/CDN that adds one must leave these requests alone.',
  };
}

function sigv2Hint(e: Evidence): Hint | undefined {
  if (e.result.kind !== 'sigv2-query' && e.result.kind !== 'sigv2-header') return undefined;
  const what = e.result.kind === 'sigv2-query' ? 'a SigV2 presigned URL (AWSAccessKeyId, Signature, Expires)' : 'a SigV2 request (Authorization: AWS …)';
  const upload = e.request.method === 'PUT' || e.request.method === 'POST';
  return {
    id: 'sigv2',
    message:
      `this is ${what}: boto3 and the AWS CLI v1 sign SigV2 by default when given a custom endpoint. signet verifies it as S3 does, but SigV2 is deprecated; ` +
      "for SigV4, use boto3.client('s3', config=Config(signature_version='s3v4')) or `aws configure set default.s3.signature_version s3v4`." +
      (upload
        ? " SigV2 signs Content-Type: an upload must send exactly the Content-Type it was signed with, none when none was given (curl --data-binary adds application/x-www-form-urlencoded: pass -H 'Content-Type:')."
        : ''),
  };
}

// ------------------------------------------------------------------ scope, token, headers

function credentialOf(e: Evidence): string | undefined {
  return e.steps.find((s) => s.name === 'scope' || s.name === 'parse')?.detail.credential;
}

function regionHint(e: Evidence): Hint | undefined {
  if (e.failure?.reason !== 'QueryRegionWrong' && e.failure?.reason !== 'HeaderRegionWrong') return undefined;
  const signed = credentialOf(e)?.split('/').at(-3) ?? '?';
  const server = e.ctx.region;
  return {
    id: 'region-wrong',
    message:
      `this request was signed for region ${signed}; this server's region is ${server}. ` +
      `Configure the client with region '${server}' (JS SDK new S3Client({ region: '${server}' }), boto3 region_name='${server}', AWS_REGION=${server}), ` +
      `or run signet with --region ${signed} (SIGNET_REGION=${signed}) and give explain the same --region.`,
  };
}

function sessionTokenHint(e: Evidence): Hint | undefined {
  if (e.failure?.reason !== 'SecurityTokenInvalid') return undefined;
  return {
    id: 'session-token',
    message:
      'the request carries a session token (X-Amz-Security-Token), and signet issues none, so it can never be valid. ' +
      "The signer picked up temporary AWS credentials (AWS_SESSION_TOKEN, a profile, an instance role): give it only the signet token's access key id and secret.",
  };
}

function tokenHint(e: Evidence): Hint | undefined {
  const reason = e.failure?.reason;
  const id = e.result.accessKeyId ?? '';
  if (reason === 'AccessKeyUnknown') {
    return {
      id: 'token-unknown',
      message:
        `no token in this data directory has the access key id ${id}: the client signs with credentials signet does not know. ` +
        'Sign with the access key id and secret of a signet token (`signet token list`), or create one: `signet token create --name NAME --access read-write`. ' +
        'If the server runs on another data directory, point explain at it (--data-dir or SIGNET_DATA_DIR).',
    };
  }
  if (reason !== 'TokenRevoked' && reason !== 'TokenExpired') return undefined;
  const token = e.ctx.lookupToken(id);
  if (!token) return undefined;
  const revived = { ...token, revokedAt: null, expiresAt: null };
  const stillSigned = verifiesWith(e, { ...e.ctx, lookupToken: (k) => (k === id ? revived : e.ctx.lookupToken(k)) });
  const valid = stillSigned ? ' Its signature is otherwise valid.' : '';
  const create = `\`signet token create ${createFlags(token, token.access, undefined)}\``;
  if (reason === 'TokenRevoked') {
    return {
      id: 'token-revoked',
      message:
        `token "${token.name}" (${id}) was revoked at ${token.revokedAt}: everything it signed is refused from then on, as AWS refuses a deleted access key.${valid} ` +
        `Sign with an active token (\`signet token list\`) or create one: ${create}.`,
    };
  }
  return {
    id: 'token-expired',
    message:
      `token "${token.name}" (${id}) expired at ${token.expiresAt}: everything it signed is refused from then on.${valid} ` +
      `Sign with an active token, or create one with a later --expires-in (or none): ${create}.`,
  };
}

function createFlags(token: Token, access: string, bucket: string | undefined): string {
  const buckets = bucket !== undefined ? [bucket] : token.buckets;
  return [`--name NAME --access ${access}`, ...buckets.map((b) => `--bucket ${b}`), ...(token.prefix ? [`--prefix ${token.prefix}`] : [])].join(' ');
}

function headersNotSignedHint(e: Evidence): Hint | undefined {
  if (e.failure?.reason !== 'HeadersNotSigned') return undefined;
  const names = e.failure.elements.HeadersNotSigned ?? '';
  if (names.split(', ').includes('host')) {
    return {
      id: 'headers-not-signed',
      message: 'host is not among the signed headers: every SigV4 signer signs it, so the signed-headers list was altered or the request was signed by hand. Sign host.',
    };
  }
  const where = e.result.kind === 'sigv4-query' ? 'URL' : 'Authorization header';
  return {
    id: 'headers-not-signed',
    message:
      `the request sends ${names}, which the ${where} did not sign, and S3 requires every x-amz-* header sent to be signed. ` +
      'Do not send it, or sign it (JS SDK: set it in the command given to getSignedUrl, which signs it or moves it into the query).',
  };
}

function scopeHint(e: Evidence): Hint | undefined {
  if (!e.denied || !e.result.ok) return undefined;
  const token = e.result.token;
  const want = e.denied;
  const name = `token "${token.name}"`;
  const op = e.operation ?? 'this request';
  if (want.action === 'admin') {
    return {
      id: 'token-scope',
      message:
        `${name} may not create, delete or configure bucket ${want.bucket}: that needs the root token, or a token with write access, no prefix and the bucket named: ` +
        `\`signet token create --name NAME --access read-write --bucket ${want.bucket}\`.`,
    };
  }
  const accessOk = token.access === 'read-write' || token.access === want.action || want.action === 'list-buckets';
  if (!accessOk) {
    const needs = want.action === 'write' ? 'write' : 'read';
    return {
      id: 'token-scope',
      message:
        `${name} is ${token.access}-only and ${op} needs ${needs} access. ` +
        `Sign it with a token that may ${needs}: \`signet token create ${createFlags(token, 'read-write', undefined)}\`.`,
    };
  }
  if (token.buckets.length > 0 && (want.bucket === undefined || !token.buckets.includes(want.bucket))) {
    return {
      id: 'token-scope',
      message:
        `${name} is limited to bucket${token.buckets.length > 1 ? 's' : ''} ${token.buckets.join(', ')}, and ${op} is for ${want.bucket === undefined ? 'no bucket' : `bucket ${want.bucket}`}. ` +
        `Sign it with a token for that bucket: \`signet token create ${createFlags(token, token.access, want.bucket)}\`.`,
    };
  }
  if (token.prefix) {
    const what = want.key === undefined ? 'the whole bucket' : `key "${want.key}"`;
    return {
      id: 'token-scope',
      message:
        `${name} is limited to keys starting with "${token.prefix}", and ${op} is for ${what}. ` +
        `Use a key under "${token.prefix}", or sign with a token whose --prefix covers it (or has none).`,
    };
  }
  return undefined;
}

// ------------------------------------------------------------------ time

function timeHint(e: Evidence): Hint | undefined {
  const reason = e.failure?.reason;
  if (reason !== 'RequestExpired' && reason !== 'RequestNotYetValid' && reason !== 'RequestTimeTooSkewed') return undefined;
  const now = e.ctx.now;
  const shifted = serverShiftNote(e.deps.clockOffsetMs);
  if (e.result.kind === 'sigv4-query') {
    const q = parsePresignedQuery(parseRawQuery(e.request.rawQuery));
    if (!q.ok) return undefined;
    const { signedAt, expiresSeconds } = q.value;
    const valid = verifiesWith(e, { ...e.ctx, now: signedAt }) ? ' Apart from the time, it verifies: its signature is valid.' : '';
    if (reason === 'RequestNotYetValid') {
      const ahead = signedAt.getTime() - now.getTime();
      return {
        id: 'clock-skew',
        message:
          `the URL was signed ${duration(ahead)} in the future (X-Amz-Date ${formatErrorTime(signedAt)}, server time ${formatErrorTime(now)}): ` +
          `the signer's clock is about ${duration(ahead)} ahead of the server's. Set it right (NTP; a Docker Desktop or WSL clock drifts after sleep) and sign again.${valid}${shifted}`,
      };
    }
    if (expiresSeconds === 0) {
      return { id: 'url-expired', message: `X-Amz-Expires is 0: the URL expired the moment it was signed. Sign it with a positive expiry.${valid}${shifted}` };
    }
    const expiredAt = signedAt.getTime() + expiresSeconds * 1000;
    return {
      id: 'url-expired',
      message:
        `the URL expired ${duration(now.getTime() - expiredAt)} ago: it was signed at ${formatErrorTime(signedAt)} for ${expiresSeconds} s, and the server's time is ${formatErrorTime(now)}. ` +
        `Sign a new URL (the expiry may be up to ${MAX_PRESIGN_EXPIRES} s, 7 days). If it was signed moments ago, the signer's clock is about ` +
        `${duration(now.getTime() - signedAt.getTime())} behind the server's: set it right (NTP).${valid}${shifted}`,
    };
  }
  if (e.result.kind === 'sigv2-query') {
    const expires = Number(getQueryParam(parseRawQuery(e.request.rawQuery), 'Expires'));
    if (!Number.isFinite(expires)) return undefined;
    const expiresAt = new Date(expires * 1000);
    const valid = verifiesWith(e, { ...e.ctx, now: expiresAt }) ? ' Apart from the time, it verifies: its signature is valid.' : '';
    return {
      id: 'url-expired',
      message:
        `the URL expired ${duration(now.getTime() - expiresAt.getTime())} ago (Expires ${formatErrorTime(expiresAt)}, server time ${formatErrorTime(now)}). ` +
        "Sign a new URL. If it was signed moments ago, the signer's clock is behind the server's by more than that: set it right (NTP)." +
        `${valid}${shifted}`,
    };
  }
  const sent = requestTime(e);
  if (!sent) return undefined;
  const skew = sent.getTime() - now.getTime();
  const valid = verifiesWith(e, { ...e.ctx, now: sent }) ? ' Apart from the time, it verifies: its signature is valid.' : '';
  return {
    id: 'clock-skew',
    message:
      `the request was signed at ${formatErrorTime(sent)}, ${duration(Math.abs(skew))} ${skew > 0 ? 'ahead of' : 'behind'} the server's time ${formatErrorTime(now)}; ` +
      `a signed request may differ by ${MAX_SKEW_MS / 60_000} minutes at most. The signer's clock is off by about ${duration(Math.abs(skew))}: set it right (NTP) and sign again.${valid}${shifted}`,
  };
}

function requestTime(e: Evidence): Date | undefined {
  if (e.result.kind === 'sigv4-header') {
    const date = parseRequestDate(e.request.headers);
    return date.ok ? date.value.time : undefined;
  }
  const sent = e.request.headers['x-amz-date']?.[0] ?? e.request.headers.date?.[0];
  return sent === undefined ? undefined : parseSigV2Date(sent);
}

function serverShiftNote(offsetMs: number | undefined): string {
  if (!offsetMs) return '';
  return ` Note: the server's clock is shifted ${duration(Math.abs(offsetMs))} ${offsetMs > 0 ? 'forward' : 'back'} by \`signet clock\`; \`signet clock reset\` undoes it.`;
}

/** '45 s', '12 min 5 s', '3 h 4 min', '2 d 5 h'. */
export function duration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  if (s < 172800) return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
  return `${Math.floor(s / 86400)} d${Math.floor((s % 86400) / 3600) ? ` ${Math.floor((s % 86400) / 3600)} h` : ''}`;
}

function verifiesWith(e: Evidence, ctx: VerifyContext): boolean {
  return verifyRequest(e.request, ctx).ok;
}

// ------------------------------------------------------------------ signature mismatch

/**
 * Only for SignatureDoesNotMatch: every earlier step passed, so a variant that verifies
 * differs from the request in exactly what it changed.
 */
function signatureHints(e: Evidence): Hint[] | undefined {
  if (e.failure?.reason !== 'SignatureDoesNotMatch') return undefined;
  const sent = signedText(e.steps) ?? '';
  const found = [hostHint, addressingHint, methodHint, contentTypeHint, pathHint, queryHint].map((f) => f(e, sent)).filter((h): h is Hint => h !== undefined);
  return found.length > 0 ? found : [signatureFallback(e)];
}

function differences<T>(match: Match<T>, sent: string): Hint['differences'] {
  const signed = signedText(match.result.steps);
  return signed === undefined ? undefined : lineDifferences(signed, sent);
}

function hostHint(e: Evidence, sent: string): Hint | undefined {
  const sentHost = e.request.headers.host?.[0] ?? '';
  const candidates = hostCandidates(sentHost, e.built.urlHost, e.request.headers['x-forwarded-host'] ?? []);
  const match = firstVerifying(candidates.map((h) => [h, withHeader(e.request, 'host', [h])] as const), e.ctx);
  if (!match) return undefined;
  const droppedPort = match.value.startsWith(`${sentHost}:`);
  return {
    id: 'host-rewritten',
    message:
      `this URL was signed for Host ${match.value}; a proxy or Docker hostname rewrote it to ${sentHost}. ` +
      'Send it to the host it was signed for, or sign it for the host your clients reach (the endpoint given to the SDK).' +
      (droppedPort ? ' A proxy that drops the port: nginx proxy_set_header Host $http_host keeps it ($host drops it).' : ''),
    differences: differences(match, sent),
  };
}

function addressingHint(e: Evidence, sent: string): Hint | undefined {
  const sentHost = e.request.headers.host?.[0] ?? '';
  const match = firstVerifying(addressingCandidates(e.request, sentHost, e.address.bucket, e.address.style), e.ctx);
  if (!match) return undefined;
  const signed = `Host ${match.value.host}, path ${match.value.rawPath}`;
  const used = `Host ${sentHost}, path ${e.request.rawPath}`;
  const fix =
    match.value.style === 'path'
      ? "sign it virtual-hosted (JS SDK: forcePathStyle: false with an endpoint such as http://localhost:9000; boto3: Config(s3={'addressing_style': 'virtual'}))"
      : "sign it path-style (JS SDK: forcePathStyle: true; boto3: Config(s3={'addressing_style': 'path'}))";
  return {
    id: 'addressing-style',
    message:
      `this URL was signed ${match.value.style === 'path' ? 'path-style' : 'virtual-hosted'} (${signed}) and used ${e.address.style === 'path' ? 'path-style' : 'virtual-hosted'} (${used}). ` +
      `Use it in the style it was signed for, or ${fix}.`,
    differences: differences(match, sent),
  };
}

function methodHint(e: Evidence, sent: string): Hint | undefined {
  const others = METHODS.filter((m) => m !== e.request.method);
  const match = firstVerifying(others.map((m) => [m, { ...e.request, method: m }] as const), e.ctx);
  if (!match) return undefined;
  return {
    id: 'method-mismatch',
    message:
      `this URL was signed for ${match.value}, used with ${e.request.method}: the method is signed. ` +
      `Send it with ${match.value} (curl -X ${match.value}, explain --method ${match.value}), or sign a URL for ${e.request.method}.`,
    differences: differences(match, sent),
  };
}

function signedHeaderNames(e: Evidence): string[] {
  const list = e.steps.find((s) => s.name === 'signed-headers')?.detail.signedHeaders ?? '';
  return list.split(';').filter((n) => n !== '' && n !== '(none)');
}

function contentTypeHint(e: Evidence, sent: string): Hint | undefined {
  const sigv2 = e.result.kind === 'sigv2-query' || e.result.kind === 'sigv2-header';
  if (!sigv2 && !signedHeaderNames(e).includes('content-type')) return undefined;
  const sentType = e.request.headers['content-type']?.[0];
  const candidates = contentTypeCandidates(sentType, e.address.key);
  const match = firstVerifying(candidates.map((t) => [t, withHeader(e.request, 'content-type', t === undefined ? undefined : [t])] as const), e.ctx);
  if (!match) return undefined;
  const show = (t: string | undefined) => (t === undefined ? 'no Content-Type' : `Content-Type: ${t}`);
  if (sigv2) {
    const curl =
      match.value === undefined
        ? sentType === 'application/x-www-form-urlencoded'
          ? " That is curl's default for --data and --data-binary: add -H 'Content-Type:' to send none."
          : " Send none (curl: -H 'Content-Type:')."
        : ` Send -H 'Content-Type: ${match.value}'.`;
    return {
      id: 'sigv2-content-type',
      message: `SigV2 signs Content-Type: this URL was signed with ${show(match.value)}, and the request sends ${show(sentType)}.${curl}`,
      differences: differences(match, sent),
    };
  }
  return {
    id: 'content-type-differs',
    message:
      `this URL was signed with ${show(match.value)}, and the request sends ${show(sentType)}: content-type is one of its signed headers, ` +
      'so the upload must send exactly the value given when signing (ContentType in the PutObjectCommand or the Params), or sign the URL with the type it sends.',
    differences: differences(match, sent),
  };
}

function pathHint(e: Evidence, sent: string): Hint | undefined {
  const match = firstVerifying(pathCandidates(e.request.rawPath).map((p) => [p, { ...e.request, rawPath: p }] as const), e.ctx);
  if (!match) return undefined;
  const plus = match.value.includes('+') || e.request.rawPath.includes('+') ? " S3 reads a '+' in a path as a space: a '+' in a key is sent as %2B." : '';
  return {
    id: 'path-encoding',
    message:
      `this URL was signed for the path ${match.value} and is sent with ${e.request.rawPath}: something decoded or re-encoded it between the signer and the server.${plus} ` +
      'Use the URL exactly as the signer returned it.',
    differences: differences(match, sent),
  };
}

const AUTH_PARAMS = new Set([
  QUERY.algorithm,
  QUERY.credential,
  QUERY.date,
  QUERY.expires,
  QUERY.signedHeaders,
  QUERY.signature,
  'AWSAccessKeyId',
  'Signature',
  'Expires',
]);

function queryHint(e: Evidence, sent: string): Hint | undefined {
  const items = e.request.rawQuery.split('&');
  const candidates = items
    .map((item, i) => [item, i] as const)
    .filter(([item]) => item !== '' && !AUTH_PARAMS.has(splitRawQuery(item)[0]?.name ?? ''))
    .map(([item, i]) => [item, { ...e.request, rawQuery: items.filter((_, j) => j !== i).join('&') }] as const);
  const match = firstVerifying(candidates, e.ctx);
  if (match) {
    return {
      id: 'query-changed',
      message: `the query parameter ${match.value} was added after the URL was signed, and it is signed like the rest. Remove it, or sign the URL with it.`,
      differences: differences(match, sent),
    };
  }
  return expiresChangedHint(e, sent, items);
}

/** X-Amz-Expires values SDKs and docs use (the JS SDK's default is 900, boto3's 3600). */
const COMMON_EXPIRES = ['60', '300', '600', '900', '1800', '3600', '7200', '21600', '43200', '86400', '604800'];

/**
 * A URL "extended" by editing X-Amz-Expires. The variants are verified at the signing time, so
 * that the original expiry is found even when it has passed since.
 */
function expiresChangedHint(e: Evidence, sent: string, items: string[]): Hint | undefined {
  if (e.result.kind !== 'sigv4-query') return undefined;
  const q = parsePresignedQuery(parseRawQuery(e.request.rawQuery));
  const index = items.findIndex((item) => splitRawQuery(item)[0]?.name === QUERY.expires);
  if (!q.ok || index === -1) return undefined;
  const rawName = splitRawQuery(items[index]!)[0]!.rawName;
  const candidates = COMMON_EXPIRES.filter((v) => v !== q.value.expiresRaw).map(
    (v) => [v, { ...e.request, rawQuery: items.map((item, j) => (j === index ? `${rawName}=${v}` : item)).join('&') }] as const,
  );
  const match = firstVerifying(candidates, { ...e.ctx, now: q.value.signedAt });
  if (!match) return undefined;
  return {
    id: 'query-changed',
    message:
      `X-Amz-Expires was changed from ${match.value} to ${q.value.expiresRaw} after signing: the expiry is signed, so a URL cannot be extended by editing it. ` +
      'Sign a new URL with the expiry you need (up to 604800 s, 7 days).',
    differences: differences(match, sent),
  };
}

function signatureFallback(e: Evidence): Hint {
  const provided = e.steps.find((s) => s.name === 'signature')?.detail.signatureProvided ?? '';
  const sigv4 = e.result.kind === 'sigv4-query' || e.result.kind === 'sigv4-header';
  const mangled = sigv4 && !/^[0-9a-f]{64}$/.test(provided) ? ` The signature provided is not 64 lower-case hex characters: the URL was cut or altered.` : '';
  const valued = signedHeaderNames(e).filter((n) => n !== 'host' && !n.startsWith('x-amz-'));
  const headers = valued.length > 0 ? ` The signed headers ${valued.join(', ')} must be sent with exactly the values signed.` : '';
  return {
    id: 'signature-mismatch',
    message:
      'no single change makes the signature match (another Host, the other addressing style, another method, Content-Type, the path encoding, an added query parameter, an edited X-Amz-Expires were tried).' +
      `${mangled}${headers} Either the signature was altered, or the client signed with another secret for access key id ${e.result.accessKeyId ?? '?'} ` +
      '(a secret copied wrong, a token re-created), or it signed something else: compare the canonical request above with the one your signer built.',
  };
}

// ------------------------------------------------------------------ informational

function contentTypeUnsignedHint(e: Evidence): Hint | undefined {
  if (e.result.kind !== 'sigv4-query' || e.request.method !== 'PUT') return undefined;
  // Only for a URL proven to be a PUT URL: a GET URL sent with PUT gets the method hint instead.
  if (!e.steps.some((s) => s.name === 'signature' && s.ok)) return undefined;
  const parsed = parsePresignedQuery(parseRawQuery(e.request.rawQuery));
  if (!parsed.ok) return undefined;
  const signed = parsed.value.signedHeaders.toLowerCase().split(';');
  if (signed.includes('content-type')) return undefined;
  const sent = e.request.headers['content-type']?.[0];
  return {
    id: 'content-type-unsigned',
    message:
      `Content-Type is not among the signed headers (X-Amz-SignedHeaders=${parsed.value.signedHeaders}): this URL accepts any Content-Type, ` +
      `and the object is stored with the one the upload sends (here ${sent === undefined ? 'none, so binary/octet-stream' : sent}). ` +
      "The JS SDK presigner signs it only when asked: getSignedUrl(client, new PutObjectCommand({ …, ContentType: 'image/png' }), { signableHeaders: new Set(['content-type']) }).",
  };
}

/** CRC32 of the empty string, base64: what the JS SDK computes before it knows the body. */
const EMPTY_CRC32 = 'AAAAAA==';

function emptyBodyCrc32Hint(e: Evidence): Hint | undefined {
  if (e.result.kind !== 'sigv4-query') return undefined;
  const value = getQueryParam(parseRawQuery(e.request.rawQuery), 'x-amz-checksum-crc32');
  if (value !== EMPTY_CRC32) return undefined;
  return {
    id: 'empty-body-crc32',
    message:
      `the URL carries x-amz-checksum-crc32=${EMPTY_CRC32}, the CRC32 of an empty body, which the JS SDK bakes into PUT URLs (its default checksum calculation runs before the body is known). ` +
      'It is signed, so it cannot be removed or changed, but it is not checked against the body, as on AWS: an upload of any content is accepted. ' +
      "To leave it out, create the S3Client with requestChecksumCalculation: 'WHEN_REQUIRED'; or pass unhoistableHeaders: new Set(['x-amz-checksum-crc32']) to getSignedUrl, " +
      'which keeps it a header the uploader must send (and then checked against the body).',
  };
}

function existenceHint(e: Evidence): Hint | undefined {
  if (e.error || !e.result.ok || e.address.bucket === undefined || !e.deps.bucketExists) return undefined;
  const { bucket, key } = e.address;
  if (e.operation !== 'CreateBucket' && !e.deps.bucketExists(bucket)) {
    return {
      id: 'no-such-bucket',
      message: `authentication and authorization pass, but bucket ${bucket} does not exist: the server will answer 404 NoSuchBucket. Create it: \`signet bucket create ${bucket}\`.`,
    };
  }
  const reads = ['GetObject', 'HeadObject', 'GetObjectAcl'];
  if (key !== undefined && e.operation && reads.includes(e.operation) && e.deps.objectExists && !e.deps.objectExists(bucket, key)) {
    return {
      id: 'no-such-key',
      message: `authentication and authorization pass, but there is no object "${key}" in bucket ${bucket}: the server will answer 404 NoSuchKey.`,
    };
  }
  return undefined;
}
