import { describe, expect, it } from 'vitest';
import { presignUrl, signRequest, signRequestHeaders } from '../../../src/sigv4/sign.ts';
import { verifyHeaderSignature } from '../../../src/sigv4/verify-header.ts';
import { verifyPresignedUrl } from '../../../src/sigv4/verify-query.ts';
import { contextFor, DOC_KEY, makeToken, requestOf, targetOf } from './fixtures.ts';

const DOC_DATE = new Date('2013-05-24T00:00:00Z');
const E = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('presignUrl', () => {
  it('reproduces the AWS documentation URL of §7.1 byte for byte', () => {
    const url = presignUrl({ method: 'GET', url: 'https://examplebucket.s3.amazonaws.com/test.txt', ...DOC_KEY, region: 'us-east-1', now: DOC_DATE, expiresIn: 86400 });
    expect(url).toBe(
      'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
        '&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
        '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
        '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    );
  });

  it('writes the path in its canonical encoding and keeps dot segments', () => {
    const url = presignUrl({ method: 'GET', url: 'http://127.0.0.1:9000/b/../a b/./c+d', ...DOC_KEY, region: 'us-east-1', now: DOC_DATE, expiresIn: 60 });
    expect(url.startsWith('http://127.0.0.1:9000/b/../a%20b/./c%20d?')).toBe(true);
  });

  it('signs the Host without a default port', () => {
    const url = presignUrl({ method: 'GET', url: 'http://Example.com:80/k', ...DOC_KEY, region: 'us-east-1', now: DOC_DATE, expiresIn: 60 });
    const ctx = contextFor([makeToken(DOC_KEY.accessKeyId, DOC_KEY.secretAccessKey)], DOC_DATE);
    expect(verifyPresignedUrl(requestOf('GET', targetOf(url), { host: 'example.com' }), ctx).ok).toBe(true);
  });

  it('signed headers must then be sent with the same values', () => {
    const url = presignUrl({
      method: 'PUT',
      url: 'http://127.0.0.1:9000/b/k',
      ...DOC_KEY,
      region: 'us-east-1',
      now: DOC_DATE,
      expiresIn: 60,
      signedHeaders: { 'Content-Type': 'image/png' },
    });
    expect(url).toContain('X-Amz-SignedHeaders=content-type%3Bhost');
    const ctx = contextFor([makeToken(DOC_KEY.accessKeyId, DOC_KEY.secretAccessKey)], DOC_DATE);
    const send = (contentType: string) => verifyPresignedUrl(requestOf('PUT', targetOf(url), { host: '127.0.0.1:9000', 'content-type': contentType }), ctx);
    expect(send('image/png').ok).toBe(true);
    const other = send('text/html');
    expect(other.ok ? 'ok' : other.failure.reason).toBe('SignatureDoesNotMatch');
  });

  it('a hex X-Amz-Content-Sha256 in the query becomes the payload line and binds the body', () => {
    const hash = 'a'.repeat(64);
    const url = presignUrl({ method: 'PUT', url: 'http://h/b/k', ...DOC_KEY, region: 'us-east-1', now: DOC_DATE, expiresIn: 60, query: { 'X-Amz-Content-Sha256': hash } });
    const ctx = contextFor([makeToken(DOC_KEY.accessKeyId, DOC_KEY.secretAccessKey)], DOC_DATE);
    const result = verifyPresignedUrl(requestOf('PUT', targetOf(url), { host: 'h' }), ctx);
    expect(result.ok ? result.payload : result.failure).toEqual({ type: 'sha256', expectedHex: hash });
    expect(result.steps.find((s) => s.name === 'canonical-request')?.detail.canonicalRequest.endsWith(`\n${hash}`)).toBe(true);
  });
});

describe('signRequest', () => {
  it('reproduces the §7.2 GET-with-Range signature f0e8bdb8…', () => {
    const signed = signRequest({
      method: 'GET',
      url: 'https://examplebucket.s3.amazonaws.com/test.txt',
      headers: { Range: 'bytes=0-9' },
      payloadHash: E,
      ...DOC_KEY,
      region: 'us-east-1',
      now: DOC_DATE,
    });
    expect(signed.signature).toBe('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
    expect(signed.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('headers it returns verify, query and all', () => {
    const url = 'http://127.0.0.1:9000/b/?list-type=2&prefix=a%20b';
    const headers = signRequestHeaders({ method: 'GET', url, payloadHash: E, ...DOC_KEY, region: 'eu-west-1', now: DOC_DATE });
    const ctx = contextFor([makeToken(DOC_KEY.accessKeyId, DOC_KEY.secretAccessKey)], DOC_DATE, 'eu-west-1');
    expect(verifyHeaderSignature(requestOf('GET', targetOf(url), headers), ctx).ok).toBe(true);
  });
});
