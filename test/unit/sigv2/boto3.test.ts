/**
 * End to end against the real client: botocore signs (boto3-sigv2.py, Config(signature_version
 * ='s3')), signet verifies. The script pins botocore's clock, so `now` is pinned here too.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SignableRequest, VerifyResult } from '../../../src/auth/types.ts';
import { verifySigV2Header, verifySigV2Query } from '../../../src/sigv2/verify.ts';
import { AKID, SECRET, contextAt, failureOf, stepNamed } from './helpers.ts';

const SCRIPT = fileURLToPath(new URL('./boto3-sigv2.py', import.meta.url));
const FIXED_EPOCH = 1700000000; // 2023-11-14T22:13:20Z
const FIXED_DATE = 'Tue, 14 Nov 2023 22:13:20 GMT';
const NOW = new Date((FIXED_EPOCH + 60) * 1000);

interface BotoCase {
  name: string;
  auth: 'query' | 'header';
  method: string;
  url: string;
  headers: [string, string][];
  stringToSign: string;
}

const hasBoto3 = spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8' }).status === 0;
if (!hasBoto3) console.warn('python3 with boto3 is not available: the boto3 SigV2 tests are skipped');

function runScript(): { botocore: string; cases: BotoCase[] } {
  const r = spawnSync('python3', [SCRIPT, AKID, SECRET, String(FIXED_EPOCH), FIXED_DATE], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`boto3-sigv2.py failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The request as signet would capture it off the wire: raw path and query, headers, vhost bucket. */
function toSignable(c: BotoCase): SignableRequest {
  const m = /^https?:\/\/([^/?#]+)([^?#]*)(?:\?([^#]*))?$/.exec(c.url);
  if (!m) throw new Error(`unexpected URL ${c.url}`);
  const [, host, path, query] = m;
  const headers: Record<string, string[]> = { host: [host] };
  for (const [name, value] of c.headers) (headers[name.toLowerCase()] ??= []).push(value);
  const hostname = host.replace(/:\d+$/, '');
  const virtualHostBucket = hostname.endsWith('.localhost') ? hostname.slice(0, -'.localhost'.length) : undefined;
  return { method: c.method, rawPath: path || '/', rawQuery: query ?? '', headers, virtualHostBucket };
}

function verify(c: BotoCase, req: SignableRequest, now = NOW): VerifyResult {
  return c.auth === 'query' ? verifySigV2Query(req, contextAt(now)) : verifySigV2Header(req, contextAt(now));
}

function replaceQueryParam(req: SignableRequest, name: string, value: string): SignableRequest {
  const re = new RegExp(`(^|&)${name}=[^&]*`);
  expect(req.rawQuery).toMatch(re);
  return { ...req, rawQuery: req.rawQuery.replace(re, `$1${name}=${value}`) };
}

describe.skipIf(!hasBoto3)('boto3 SigV2 (signature_version="s3") requests', () => {
  const { botocore, cases } = hasBoto3 ? runScript() : { botocore: '', cases: [] as BotoCase[] };

  it(`the script produced every case (botocore ${botocore})`, () => {
    expect(cases.filter((c) => c.auth === 'query')).toHaveLength(8);
    expect(cases.filter((c) => c.auth === 'header')).toHaveLength(3);
  });

  it('presigned with STS credentials: the copied x-amz-security-token -> SecurityTokenInvalid (signet issues none)', () => {
    const c = cases.find((x) => x.name.includes('STS'))!;
    expect(c.stringToSign).toContain('x-amz-security-token:FQoGZXIvYXdzEXAMPLE\n');
    expect(failureOf(verify(c, toSignable(c)))).toEqual({ reason: 'SecurityTokenInvalid', elements: { 'Token-0': 'FQoGZXIvYXdzEXAMPLE' } });
  });

  for (const c of cases.filter((x) => !x.name.includes('STS'))) {
    describe(c.name, () => {
      const req = toSignable(c);

      it('is accepted, and signet builds the string to sign byte for byte as botocore did', () => {
        const result = verify(c, req);
        expect(result.ok, JSON.stringify(result.steps, null, 1)).toBe(true);
        expect(stepNamed(result, 'string-to-sign').detail.stringToSign).toBe(c.stringToSign);
        expect(stepNamed(result, 'signature').detail.form).toBe('standard');
      });

      it('a changed path -> SignatureDoesNotMatch, reporting botocore\'s string to sign with the new path', () => {
        const tampered = { ...req, rawPath: `${req.rawPath}x` };
        const failure = failureOf(verify(c, tampered));
        expect(failure.reason).toBe('SignatureDoesNotMatch');
        expect(failure.elements.StringToSign).not.toBe(c.stringToSign);
      });

      it('a changed method -> SignatureDoesNotMatch', () => {
        expect(failureOf(verify(c, { ...req, method: req.method === 'GET' ? 'HEAD' : 'GET' })).reason).toBe('SignatureDoesNotMatch');
      });

      if (c.auth === 'query') {
        it('Expires pushed later -> SignatureDoesNotMatch', () => {
          const expires = Number(/(?:^|&)Expires=(\d+)/.exec(req.rawQuery)![1]);
          expect(failureOf(verify(c, replaceQueryParam(req, 'Expires', String(expires + 1)))).reason).toBe('SignatureDoesNotMatch');
        });

        it('used after Expires -> RequestExpired', () => {
          const expires = Number(/(?:^|&)Expires=(\d+)/.exec(req.rawQuery)![1]);
          const failure = failureOf(verify(c, req, new Date((expires + 1) * 1000)));
          expect(failure.reason).toBe('RequestExpired');
          expect(failure.elements.Expires).toBe(new Date(expires * 1000).toISOString().replace('.000', ''));
        });
      } else {
        it('a changed Date (within the skew) -> SignatureDoesNotMatch', () => {
          const tampered = { ...req, headers: { ...req.headers, date: ['Tue, 14 Nov 2023 22:13:21 GMT'] } };
          expect(failureOf(verify(c, tampered)).reason).toBe('SignatureDoesNotMatch');
        });
      }
    });
  }

  describe('tampering specific to the signed parts', () => {
    const byName = (prefix: string) => {
      const c = cases.find((x) => x.name.startsWith(prefix));
      if (!c) throw new Error(`no case ${prefix}`);
      return c;
    };

    it('presigned GET: a changed response-content-disposition -> SignatureDoesNotMatch', () => {
      const c = byName('presigned GET, unicode');
      const req = replaceQueryParam(toSignable(c), 'response-content-disposition', 'inline');
      expect(failureOf(verify(c, req)).reason).toBe('SignatureDoesNotMatch');
    });

    it('presigned GET: the key with "+" read as %20 instead of %2B -> SignatureDoesNotMatch', () => {
      const c = byName('presigned GET, unicode');
      const req = toSignable(c);
      expect(req.rawPath).toContain('%2B');
      expect(failureOf(verify(c, { ...req, rawPath: req.rawPath.replace('%2B', '%20') })).reason).toBe('SignatureDoesNotMatch');
    });

    it('presigned PUT: sent with the signed Content-Type header -> accepted; another Content-Type -> SignatureDoesNotMatch', () => {
      const c = byName('presigned PUT');
      const req = toSignable(c);
      expect(verify(c, { ...req, headers: { ...req.headers, 'content-type': ['text/plain'] } }).ok).toBe(true);
      const failure = failureOf(verify(c, { ...req, headers: { ...req.headers, 'content-type': ['application/octet-stream'] } }));
      expect(failure.reason).toBe('SignatureDoesNotMatch');
    });

    it('presigned PUT: a changed x-amz-acl in the query -> SignatureDoesNotMatch', () => {
      const c = byName('presigned PUT');
      expect(failureOf(verify(c, replaceQueryParam(toSignable(c), 'x-amz-acl', 'private'))).reason).toBe('SignatureDoesNotMatch');
    });

    it('presigned UploadPart: another partNumber -> SignatureDoesNotMatch', () => {
      const c = byName('presigned UploadPart');
      expect(failureOf(verify(c, replaceQueryParam(toSignable(c), 'partNumber', '4'))).reason).toBe('SignatureDoesNotMatch');
    });

    it('presigned GET, virtual-hosted: the same URL on another bucket host -> SignatureDoesNotMatch', () => {
      const c = byName('presigned GET, virtual-hosted');
      const req = toSignable(c);
      expect(req.virtualHostBucket).toBe('bkt');
      expect(failureOf(verify(c, { ...req, virtualHostBucket: 'other' })).reason).toBe('SignatureDoesNotMatch');
    });

    it('HmacV1Auth: one of the repeated x-amz-meta values dropped -> SignatureDoesNotMatch', () => {
      const c = byName('HmacV1Auth');
      const req = toSignable(c);
      expect(req.headers['x-amz-meta-reviewed-by']).toHaveLength(2);
      const tampered = { ...req, headers: { ...req.headers, 'x-amz-meta-reviewed-by': ['joe@example.com'] } };
      expect(failureOf(verify(c, tampered)).reason).toBe('SignatureDoesNotMatch');
    });

    it('HmacV1Auth: a changed Content-MD5 -> SignatureDoesNotMatch', () => {
      const c = byName('HmacV1Auth');
      const req = toSignable(c);
      const tampered = { ...req, headers: { ...req.headers, 'content-md5': ['1B2M2Y8AsgTpgAmY7PhCfg=='] } };
      expect(failureOf(verify(c, tampered)).reason).toBe('SignatureDoesNotMatch');
    });

    it('client PutObject: a changed x-amz-checksum-crc32 -> SignatureDoesNotMatch', () => {
      const c = byName('client PutObject');
      const req = toSignable(c);
      expect(req.headers['x-amz-checksum-crc32']).toBeDefined();
      const tampered = { ...req, headers: { ...req.headers, 'x-amz-checksum-crc32': ['AAAAAA=='] } };
      expect(failureOf(verify(c, tampered)).reason).toBe('SignatureDoesNotMatch');
    });

    it('client ListObjects, virtual-hosted: a request 16 minutes later -> RequestTimeTooSkewed', () => {
      const c = byName('client ListObjects');
      const failure = failureOf(verify(c, toSignable(c), new Date((FIXED_EPOCH + 16 * 60) * 1000)));
      expect(failure.reason).toBe('RequestTimeTooSkewed');
      expect(failure.elements.RequestTime).toBe(FIXED_DATE);
    });
  });
});
