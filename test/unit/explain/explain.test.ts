/**
 * explainRequest on requests made with the project's signers and a pinned clock: each names
 * the step that fails, the S3 error the server would answer and the hint that fits, found by
 * re-verifying variants of the request (never guessed).
 */
import { describe, expect, it } from 'vitest';
import type { Token } from '../../../src/access/types.ts';
import type { SignableRequest } from '../../../src/auth/types.ts';
import { explainRequest, ExplainInputError, redactExpectedSignatures } from '../../../src/explain/explain.ts';
import { renderExplainText } from '../../../src/explain/render.ts';
import type { ExplainDeps, ExplainInput, ExplainReport, HintId } from '../../../src/explain/types.ts';
import { presignV2Url, signV2Headers } from '../../../src/sigv2/sign-request.ts';
import { presignUrl, signRequestHeaders } from '../../../src/sigv4/sign.ts';

const NOW = new Date('2024-05-05T05:05:05Z');
const SECRET = 'explain-unit-secret-0123456789abcdef';
const RO_SECRET = 'explain-readonly-secret-9876543210';

function token(overrides: Partial<Token> = {}): Token {
  return {
    accessKeyId: 'AKIDEXPLAINUNIT',
    secretAccessKey: SECRET,
    name: 'unit',
    access: 'read-write',
    buckets: [],
    prefix: null,
    expiresAt: null,
    revokedAt: null,
    createdAt: '2024-01-01T00:00:00Z',
    root: false,
    ...overrides,
  };
}

const TOKENS: Token[] = [
  token(),
  token({ accessKeyId: 'AKIDREVOKED', name: 'gone', revokedAt: '2024-05-01T00:00:00Z' }),
  token({ accessKeyId: 'AKIDEXPIRED', name: 'old', expiresAt: '2024-05-05T00:00:00Z' }),
  token({ accessKeyId: 'AKIDREADONLY', secretAccessKey: RO_SECRET, name: 'ro', access: 'read', buckets: ['pre'] }),
];

function deps(overrides: Partial<ExplainDeps> = {}): ExplainDeps {
  return { now: NOW, region: 'us-east-1', lookupToken: (id) => TOKENS.find((t) => t.accessKeyId === id), ...overrides };
}

const creds = (accessKeyId = 'AKIDEXPLAINUNIT', secretAccessKey = SECRET, region = 'us-east-1') => ({ accessKeyId, secretAccessKey, region });

function presign(method: string, url: string, opts: { now?: Date; expiresIn?: number; signedHeaders?: Record<string, string>; query?: Record<string, string>; key?: [string, string]; region?: string } = {}): string {
  const [id, secret] = opts.key ?? ['AKIDEXPLAINUNIT', SECRET];
  return presignUrl({
    method,
    url,
    now: opts.now ?? NOW,
    expiresIn: opts.expiresIn ?? 300,
    signedHeaders: opts.signedHeaders,
    query: opts.query,
    ...creds(id, secret, opts.region),
  });
}

/** A SigV2 presigned URL, as botocore's HmacV1QueryAuth makes it. */
function presignV2(method: string, path: string, expiresIn = 300, headers: Record<string, string[]> = {}): string {
  const req: SignableRequest = { method, rawPath: path, rawQuery: '', headers };
  const { rawQuery } = presignV2Url(req, { accessKeyId: 'AKIDEXPLAINUNIT', secretAccessKey: SECRET }, NOW.getTime() / 1000 + expiresIn);
  return `http://127.0.0.1:9000${path}?${rawQuery}`;
}

function tamperSignature(url: string): string {
  return url.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === 'a' ? 'b' : 'a'}`);
}

const BASE = 'http://127.0.0.1:9000/pre/hello.txt';
const PNG = 'http://127.0.0.1:9000/pre/photo.png';

function failingStep(report: ExplainReport): string | undefined {
  return report.steps.find((s) => !s.ok)?.name;
}

function hintIds(report: ExplainReport): HintId[] {
  return report.hints.map((h) => h.id);
}

interface Case {
  name: string;
  input: () => ExplainInput;
  deps?: Partial<ExplainDeps>;
  verdict: 'accepted' | 'refused';
  step?: string;
  status?: number;
  code?: string;
  hint?: HintId;
  operation?: string;
}

const CASES: Case[] = [
  { name: 'a valid presigned GET -> accepted, GetObject', input: () => ({ url: presign('GET', BASE) }), verdict: 'accepted', operation: 'GetObject' },
  {
    name: 'a tampered signature -> signature step, SignatureDoesNotMatch, signature-mismatch',
    input: () => ({ url: tamperSignature(presign('GET', BASE)) }),
    verdict: 'refused',
    step: 'signature',
    status: 403,
    code: 'SignatureDoesNotMatch',
    hint: 'signature-mismatch',
  },
  {
    name: 'expired -> time step, AccessDenied, url-expired',
    input: () => ({ url: presign('GET', BASE, { now: new Date(NOW.getTime() - 3600_000), expiresIn: 60 }) }),
    verdict: 'refused',
    step: 'time',
    status: 403,
    code: 'AccessDenied',
    hint: 'url-expired',
  },
  {
    name: 'not yet valid -> time step, AccessDenied, clock-skew',
    input: () => ({ url: presign('GET', BASE, { now: new Date(NOW.getTime() + 3600_000) }) }),
    verdict: 'refused',
    step: 'time',
    status: 403,
    code: 'AccessDenied',
    hint: 'clock-skew',
  },
  {
    name: 'a revoked token -> token step, InvalidAccessKeyId, token-revoked',
    input: () => ({ url: presign('GET', BASE, { key: ['AKIDREVOKED', SECRET] }) }),
    verdict: 'refused',
    step: 'token',
    status: 403,
    code: 'InvalidAccessKeyId',
    hint: 'token-revoked',
  },
  {
    name: 'an expired token -> token step, InvalidAccessKeyId, token-expired',
    input: () => ({ url: presign('GET', BASE, { key: ['AKIDEXPIRED', SECRET] }) }),
    verdict: 'refused',
    step: 'token',
    code: 'InvalidAccessKeyId',
    hint: 'token-expired',
  },
  {
    name: 'an unknown access key -> token step, InvalidAccessKeyId, token-unknown',
    input: () => ({ url: presign('GET', BASE, { key: ['AKIDNOSUCHKEY', SECRET] }) }),
    verdict: 'refused',
    step: 'token',
    code: 'InvalidAccessKeyId',
    hint: 'token-unknown',
  },
  {
    name: 'a read-only token on PUT -> authorize step, AccessDenied, token-scope',
    input: () => ({ url: presign('PUT', BASE, { key: ['AKIDREADONLY', RO_SECRET] }), method: 'PUT' }),
    verdict: 'refused',
    step: 'authorize',
    status: 403,
    code: 'AccessDenied',
    hint: 'token-scope',
    operation: 'PutObject',
  },
  {
    name: 'a token for another bucket -> authorize step, token-scope',
    input: () => ({ url: presign('GET', 'http://127.0.0.1:9000/other/hello.txt', { key: ['AKIDREADONLY', RO_SECRET] }) }),
    verdict: 'refused',
    step: 'authorize',
    code: 'AccessDenied',
    hint: 'token-scope',
  },
  {
    name: 'a wrong region -> scope step, AuthorizationQueryParametersError, region-wrong',
    input: () => ({ url: presign('GET', BASE, { region: 'eu-west-1' }) }),
    verdict: 'refused',
    step: 'scope',
    status: 400,
    code: 'AuthorizationQueryParametersError',
    hint: 'region-wrong',
  },
  {
    name: 'the Host changed (signed for 127.0.0.1:9000, sent with localhost:9000) -> host-rewritten',
    input: () => ({ url: presign('GET', BASE), headers: [['Host', 'localhost:9000']] }),
    verdict: 'refused',
    step: 'signature',
    code: 'SignatureDoesNotMatch',
    hint: 'host-rewritten',
  },
  {
    name: 'the port dropped by a proxy (signed for :9000, sent without) -> host-rewritten',
    input: () => ({ url: presign('GET', BASE), headers: [['Host', '127.0.0.1']] }),
    verdict: 'refused',
    step: 'signature',
    hint: 'host-rewritten',
  },
  {
    name: 'signed path-style, used virtual-hosted -> addressing-style',
    input: () => ({ url: presign('GET', BASE).replace('http://127.0.0.1:9000/pre/', 'http://pre.localhost:9000/') }),
    verdict: 'refused',
    step: 'signature',
    code: 'SignatureDoesNotMatch',
    hint: 'addressing-style',
  },
  {
    name: 'signed virtual-hosted, used path-style -> addressing-style',
    input: () => ({ url: presign('GET', 'http://pre.localhost:9000/hello.txt').replace('http://pre.localhost:9000/', 'http://127.0.0.1:9000/pre/') }),
    verdict: 'refused',
    step: 'signature',
    hint: 'addressing-style',
  },
  {
    name: 'a virtual-hosted URL used as signed -> accepted',
    input: () => ({ url: presign('GET', 'http://pre.localhost:9000/hello.txt') }),
    verdict: 'accepted',
    operation: 'GetObject',
  },
  {
    name: 'a GET URL used with PUT -> method-mismatch',
    input: () => ({ url: presign('GET', BASE), method: 'PUT' }),
    verdict: 'refused',
    step: 'signature',
    hint: 'method-mismatch',
  },
  {
    name: 'a SigV2 presigned GET -> accepted, sigv2',
    input: () => ({ url: presignV2('GET', '/pre/hello.txt') }),
    verdict: 'accepted',
    hint: 'sigv2',
    operation: 'GetObject',
  },
  {
    name: "a SigV2 PUT URL sent with curl's default Content-Type -> sigv2-content-type",
    input: () => ({ url: presignV2('PUT', '/pre/up.bin'), method: 'PUT', headers: [['Content-Type', 'application/x-www-form-urlencoded']] }),
    verdict: 'refused',
    step: 'signature',
    code: 'SignatureDoesNotMatch',
    hint: 'sigv2-content-type',
  },
  {
    name: 'a SigV4 PUT URL with a signed Content-Type, sent with another -> content-type-differs',
    input: () => ({ url: presign('PUT', PNG, { signedHeaders: { 'content-type': 'image/png' } }), method: 'PUT', headers: [['Content-Type', 'image/jpeg']] }),
    verdict: 'refused',
    step: 'signature',
    code: 'SignatureDoesNotMatch',
    hint: 'content-type-differs',
  },
  {
    name: 'a PUT URL that does not sign Content-Type -> accepted, content-type-unsigned',
    input: () => ({ url: presign('PUT', PNG), method: 'PUT', headers: [['Content-Type', 'image/png']] }),
    verdict: 'accepted',
    hint: 'content-type-unsigned',
    operation: 'PutObject',
  },
  {
    name: "the JS SDK's empty-body CRC32 in a PUT URL -> accepted, empty-body-crc32",
    input: () => ({
      url: presign('PUT', BASE, { query: { 'x-amz-checksum-crc32': 'AAAAAA==', 'x-amz-sdk-checksum-algorithm': 'CRC32', 'x-id': 'PutObject' } }),
      method: 'PUT',
    }),
    verdict: 'accepted',
    hint: 'empty-body-crc32',
    operation: 'PutObject',
  },
  {
    name: 'a query parameter added after signing -> query-changed',
    input: () => ({ url: `${presign('GET', BASE)}&response-content-type=text%2Fhtml` }),
    verdict: 'refused',
    step: 'signature',
    hint: 'query-changed',
  },
  {
    name: "a '+' in the key decoded from %2B on the way -> path-encoding",
    input: () => ({ url: presign('GET', 'http://127.0.0.1:9000/pre/a%2Bb.txt').replace('/pre/a%2Bb.txt', '/pre/a+b.txt') }),
    verdict: 'refused',
    step: 'signature',
    hint: 'path-encoding',
  },
  {
    name: 'an unsigned x-amz-* header -> signed-headers step, headers-not-signed',
    input: () => ({ url: presign('GET', BASE), headers: [['x-amz-meta-sneaky', '1']] }),
    verdict: 'refused',
    step: 'signed-headers',
    code: 'AccessDenied',
    hint: 'headers-not-signed',
  },
  {
    name: 'a session token -> token step, InvalidToken, session-token',
    input: () => ({ url: `${presign('GET', BASE)}&X-Amz-Security-Token=FQoGZXIvYXdzEXAMPLE` }),
    verdict: 'refused',
    step: 'token',
    status: 400,
    code: 'InvalidToken',
    hint: 'session-token',
  },
  {
    name: 'no credentials -> detect step, AccessDenied, anonymous',
    input: () => ({ url: BASE }),
    verdict: 'refused',
    step: 'detect',
    code: 'AccessDenied',
    hint: 'anonymous',
  },
  {
    name: 'a presigned URL sent with an Authorization header too -> multiple-auth',
    input: () => ({ url: presign('GET', BASE), headers: [['Authorization', 'Bearer abc']] }),
    verdict: 'refused',
    step: 'detect',
    status: 400,
    code: 'InvalidArgument',
    hint: 'multiple-auth',
  },
];

describe('explainRequest: the failing step, the S3 error and the hint', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const report = explainRequest(c.input(), deps(c.deps));
      expect(report.verdict).toBe(c.verdict);
      expect(failingStep(report)).toBe(c.step);
      if (c.verdict === 'accepted') expect(report.error).toBeUndefined();
      if (c.status !== undefined) expect(report.error?.status).toBe(c.status);
      if (c.code !== undefined) expect(report.error?.code).toBe(c.code);
      if (c.hint !== undefined) expect(hintIds(report)).toContain(c.hint);
      if (c.operation !== undefined) expect(report.operation).toBe(c.operation);
      // Never a secret, in the report or in its text.
      for (const secret of [SECRET, RO_SECRET]) {
        expect(JSON.stringify(report)).not.toContain(secret);
        expect(renderExplainText(report)).not.toContain(secret);
      }
    });
  }
});

describe('hints name what was signed, proven by a variant that verifies', () => {
  it('host-rewritten names the signed Host and shows the differing canonical line', () => {
    const report = explainRequest({ url: presign('GET', BASE), headers: [['Host', 'localhost:9000']] }, deps());
    const hint = report.hints.find((h) => h.id === 'host-rewritten')!;
    expect(hint.message).toContain('signed for Host 127.0.0.1:9000; a proxy or Docker hostname rewrote it to localhost:9000');
    expect(hint.differences).toEqual([{ line: 4, signed: 'host:127.0.0.1:9000', sent: 'host:localhost:9000' }]);
  });

  it('a Host no plausible variant matches gets no host hint (nothing is guessed)', () => {
    const url = presignUrl({ method: 'GET', url: 'http://minio-internal:9000/pre/hello.txt', now: NOW, expiresIn: 300, ...creds() });
    const report = explainRequest({ url: url.replace('minio-internal:9000', 'public.example:8080') }, deps());
    expect(hintIds(report)).not.toContain('host-rewritten');
    expect(hintIds(report)).toEqual(['signature-mismatch']);
  });

  it('the Host override is tried back: a URL for signet:9000 sent with Host localhost:9000 names signet:9000', () => {
    const url = presignUrl({ method: 'GET', url: 'http://signet:9000/pre/hello.txt', now: NOW, expiresIn: 300, ...creds() });
    const report = explainRequest({ url, headers: [['Host', 'localhost:9000']] }, deps());
    expect(report.hints.find((h) => h.id === 'host-rewritten')?.message).toContain('signed for Host signet:9000; a proxy or Docker hostname rewrote it to localhost:9000');
  });

  it('method-mismatch says which method the URL was signed for', () => {
    const report = explainRequest({ url: presign('PUT', BASE), method: 'GET' }, deps());
    expect(report.hints.find((h) => h.id === 'method-mismatch')?.message).toMatch(/^this URL was signed for PUT, used with GET/);
  });

  it('addressing-style says which style the URL was signed for', () => {
    const url = presign('GET', BASE).replace('http://127.0.0.1:9000/pre/', 'http://pre.localhost:9000/');
    const hint = explainRequest({ url }, deps()).hints.find((h) => h.id === 'addressing-style')!;
    expect(hint.message).toMatch(/^this URL was signed path-style \(Host (localhost|127\.0\.0\.1):9000, path \/pre\/hello\.txt\) and used virtual-hosted/);
  });

  it('content-type-differs names the signed Content-Type', () => {
    const url = presign('PUT', PNG, { signedHeaders: { 'content-type': 'image/png' } });
    const hint = explainRequest({ url, method: 'PUT', headers: [['Content-Type', 'image/jpeg']] }, deps()).hints.find((h) => h.id === 'content-type-differs')!;
    expect(hint.message).toContain('signed with Content-Type: image/png, and the request sends Content-Type: image/jpeg');
    expect(hint.differences).toEqual([{ line: 4, signed: 'content-type:image/png', sent: 'content-type:image/jpeg' }]);
  });

  it("sigv2-content-type: signed with none, sent with curl's default -> tells to pass -H 'Content-Type:'", () => {
    const report = explainRequest({ url: presignV2('PUT', '/pre/up.bin'), method: 'PUT', headers: [['Content-Type', 'application/x-www-form-urlencoded']] }, deps());
    const hint = report.hints.find((h) => h.id === 'sigv2-content-type')!;
    expect(hint.message).toContain('signed with no Content-Type, and the request sends Content-Type: application/x-www-form-urlencoded');
    expect(hint.message).toContain("-H 'Content-Type:'");
    expect(hint.differences).toEqual([{ line: 3, signed: '', sent: 'application/x-www-form-urlencoded' }]);
  });

  it('the SigV2 PUT URL sent with no Content-Type is accepted', () => {
    expect(explainRequest({ url: presignV2('PUT', '/pre/up.bin'), method: 'PUT' }, deps()).verdict).toBe('accepted');
  });

  it('a tampered signature gets only the fallback, which lists the variants tried', () => {
    const report = explainRequest({ url: tamperSignature(presign('GET', BASE)) }, deps());
    expect(hintIds(report)).toEqual(['signature-mismatch']);
    expect(report.hints[0]!.message).toContain('no single change makes the signature match');
  });

  it('a cut signature is called out as not 64 hex characters', () => {
    const report = explainRequest({ url: presign('GET', BASE).slice(0, -10) }, deps());
    expect(report.hints.find((h) => h.id === 'signature-mismatch')?.message).toContain('not 64 lower-case hex characters');
  });

  it('url-expired gives how long ago, and says the signature is otherwise valid', () => {
    const report = explainRequest({ url: presign('GET', BASE, { now: new Date(NOW.getTime() - 3600_000), expiresIn: 60 }) }, deps());
    const message = report.hints.find((h) => h.id === 'url-expired')!.message;
    expect(message).toContain('the URL expired 59 min ago');
    expect(message).toContain('its signature is valid');
  });

  it('clock-skew on a URL signed in the future says how far ahead the signer is', () => {
    const report = explainRequest({ url: presign('GET', BASE, { now: new Date(NOW.getTime() + 2 * 3600_000) }) }, deps());
    expect(report.hints.find((h) => h.id === 'clock-skew')?.message).toContain("the signer's clock is about 2 h ahead of the server's");
  });

  it('clock-skew on header auth (RequestTimeTooSkewed) says how far behind', () => {
    const headers = signRequestHeaders({ method: 'GET', url: BASE, payloadHash: 'UNSIGNED-PAYLOAD', now: new Date(NOW.getTime() - 20 * 60_000), ...creds() });
    const report = explainRequest({ url: BASE, headers: Object.entries(headers) }, deps());
    expect(report.error?.code).toBe('RequestTimeTooSkewed');
    expect(failingStep(report)).toBe('time');
    expect(report.hints.find((h) => h.id === 'clock-skew')?.message).toContain('20 min behind');
  });

  it("a shifted server clock (signet clock) is named in time hints", () => {
    const report = explainRequest({ url: presign('GET', BASE, { now: new Date(NOW.getTime() - 3 * 3600_000) }) }, deps({ clockOffsetMs: 2 * 3600_000 }));
    expect(report.hints.find((h) => h.id === 'url-expired')?.message).toContain('`signet clock reset`');
  });

  it('token-revoked says when, and that the signature is otherwise valid', () => {
    const report = explainRequest({ url: presign('GET', BASE, { key: ['AKIDREVOKED', SECRET] }) }, deps());
    const message = report.hints.find((h) => h.id === 'token-revoked')!.message;
    expect(message).toContain('token "gone" (AKIDREVOKED) was revoked at 2024-05-01T00:00:00Z');
    expect(message).toContain('Its signature is otherwise valid');
    expect(message).toContain('signet token create');
  });

  it('token-scope says the token is read-only and how to get one that may write', () => {
    const report = explainRequest({ url: presign('PUT', BASE, { key: ['AKIDREADONLY', RO_SECRET] }), method: 'PUT' }, deps());
    const message = report.hints.find((h) => h.id === 'token-scope')!.message;
    expect(message).toContain('token "ro" is read-only and PutObject needs write access');
    expect(message).toContain('signet token create --name NAME --access read-write --bucket pre');
  });

  it('region-wrong names both regions', () => {
    const report = explainRequest({ url: presign('GET', BASE, { region: 'eu-west-1' }) }, deps());
    expect(report.hints.find((h) => h.id === 'region-wrong')?.message).toMatch(/^this request was signed for region eu-west-1; this server's region is us-east-1/);
  });

  it('header-signed SigV2 is verified like the server does', () => {
    const headers: Record<string, string[]> = { host: ['127.0.0.1:9000'], date: [NOW.toUTCString()] };
    const { authorization } = signV2Headers({ method: 'GET', rawPath: '/pre/hello.txt', rawQuery: '', headers }, { accessKeyId: 'AKIDEXPLAINUNIT', secretAccessKey: SECRET });
    const report = explainRequest({ url: BASE, headers: [['Date', NOW.toUTCString()], ['Authorization', authorization]] }, deps());
    expect(report.mechanism).toBe('sigv2-header');
    expect(report.verdict).toBe('accepted');
    expect(hintIds(report)).toContain('sigv2');
  });

  it('no-such-bucket and no-such-key, when the lookups are given', () => {
    const noBucket = explainRequest({ url: presign('GET', BASE) }, deps({ bucketExists: () => false, objectExists: () => false }));
    expect(hintIds(noBucket)).toContain('no-such-bucket');
    const noKey = explainRequest({ url: presign('GET', BASE) }, deps({ bucketExists: () => true, objectExists: () => false }));
    expect(hintIds(noKey)).toContain('no-such-key');
    const both = explainRequest({ url: presign('GET', BASE) }, deps({ bucketExists: () => true, objectExists: () => true }));
    expect(both.hints).toEqual([]);
  });
});

describe('the request is built as the server captures it', () => {
  it('raw path and query are used as typed, and the Host comes from the authority', () => {
    const url = presign('GET', 'http://127.0.0.1:9000/pre/a%20b.txt');
    const report = explainRequest({ url }, deps());
    expect(report.request).toMatchObject({ rawPath: '/pre/a%20b.txt', host: '127.0.0.1:9000', bucket: 'pre', key: 'a b.txt', addressing: 'path' });
    expect(report.verdict).toBe('accepted');
  });

  it('a default port is not part of the Host, as clients send it', () => {
    const url = presignUrl({ method: 'GET', url: 'http://localhost:80/pre/hello.txt', now: NOW, expiresIn: 300, ...creds() });
    const report = explainRequest({ url }, deps());
    expect(report.request.host).toBe('localhost');
    expect(report.verdict).toBe('accepted');
  });

  it('repeated headers keep every value, in order', () => {
    const report = explainRequest({ url: BASE, headers: [['X-Amz-Meta-A', '1'], ['x-amz-meta-a', '2']] }, deps());
    expect(report.request.headers['x-amz-meta-a']).toEqual(['1', '2']);
  });

  it('a virtual-hosted URL resolves its bucket from the Host', () => {
    const report = explainRequest({ url: presign('GET', 'http://pre.localhost:9000/dir/x.txt') }, deps());
    expect(report.request).toMatchObject({ addressing: 'virtual', bucket: 'pre', key: 'dir/x.txt' });
  });

  it('OPTIONS is a CORS preflight, answered without authentication', () => {
    const report = explainRequest({ url: BASE, method: 'OPTIONS' }, deps());
    expect(report.verdict).toBe('accepted');
    expect(report.steps).toHaveLength(1);
  });

  it('POST /BUCKET not multipart -> 412 PreconditionFailed, as the server answers', () => {
    const report = explainRequest({ url: 'http://127.0.0.1:9000/pre', method: 'POST' }, deps());
    expect(report.error).toMatchObject({ status: 412, code: 'PreconditionFailed' });
  });

  it('a browser POST form cannot be explained from a URL', () => {
    expect(() => explainRequest({ url: 'http://127.0.0.1:9000/pre', method: 'POST', headers: [['Content-Type', 'multipart/form-data; boundary=x']] }, deps())).toThrow(ExplainInputError);
  });

  it('a URL that is not http(s) is an input error', () => {
    expect(() => explainRequest({ url: 'ftp://x/y' }, deps())).toThrow(ExplainInputError);
  });

  it('an operation the server refuses after authentication -> its error, on an authorize step', () => {
    const url = presign('GET', BASE, { query: { tagging: '' } });
    const report = explainRequest({ url }, deps());
    expect(report.error).toMatchObject({ status: 501, code: 'NotImplemented' });
    expect(failingStep(report)).toBe('authorize');
  });
});

describe('the text', () => {
  it('numbers every step and lays out the canonical request and the string to sign line by line', () => {
    const report = explainRequest({ url: tamperSignature(presign('GET', BASE)) }, deps());
    const text = renderExplainText(report);
    report.steps.forEach((step, i) => expect(text).toContain(`\n${i + 1}. ${step.name}: ${step.ok ? 'ok' : 'FAILED'}\n`));
    expect(text).toContain('     | GET\n     | /pre/hello.txt\n');
    expect(text).toContain('     | host:127.0.0.1:9000\n     | \n     | host\n     | UNSIGNED-PAYLOAD\n');
    expect(text).toContain('     | AWS4-HMAC-SHA256\n     | 20240505T050505Z\n     | 20240505/us-east-1/s3/aws4_request\n');
    expect(text).toContain('verdict: REFUSED, the server answers 403 SignatureDoesNotMatch');
    expect(text).toContain('- [signature-mismatch] ');
  });
});

describe('an edited expiry', () => {
  it('X-Amz-Expires raised after signing -> query-changed naming the signed value', () => {
    const url = presign('GET', BASE, { expiresIn: 300 }).replace('X-Amz-Expires=300', 'X-Amz-Expires=3600');
    const report = explainRequest({ url }, deps());
    expect(failingStep(report)).toBe('signature');
    expect(report.hints.find((h) => h.id === 'query-changed')?.message).toMatch(/^X-Amz-Expires was changed from 300 to 3600 after signing/);
  });

  it('is found even when the signed expiry has passed since', () => {
    const url = presign('GET', BASE, { expiresIn: 300, now: new Date(NOW.getTime() - 20 * 60_000) }).replace('X-Amz-Expires=300', 'X-Amz-Expires=3600');
    expect(hintIds(explainRequest({ url }, deps()))).toEqual(['query-changed']);
  });
});

describe('redactExpectedSignatures', () => {
  it('removes every expected signature and keeps the rest of the trace', () => {
    const report = explainRequest({ url: tamperSignature(presign('GET', BASE)) }, deps());
    const expected = report.steps.find((s) => s.name === 'signature')!.detail.signatureExpected!;
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
    const redacted = redactExpectedSignatures(report);
    expect(JSON.stringify(redacted)).not.toContain(expected);
    expect(redacted.steps.map((s) => s.name)).toEqual(report.steps.map((s) => s.name));
    expect(redacted.steps.find((s) => s.name === 'canonical-request')).toEqual(report.steps.find((s) => s.name === 'canonical-request'));
  });
});
