import { describe, expect, it } from 'vitest';
import {
  canonicalHeaderValue,
  createCanonicalHeaders,
  createCanonicalQuery,
  createCanonicalRequest,
  createCanonicalUri,
  createSignedHeaders,
} from '../../../src/sigv4/canonical-request.ts';
import { createCredentialScope, createStringToSign } from '../../../src/sigv4/string-to-sign.ts';
import { percentDecode, uriEncode } from '../../../src/sigv4/uri-encode.ts';

describe('uriEncode', () => {
  it('leaves the unreserved set A-Za-z0-9-._~ untouched', () => {
    const unreserved = '-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    expect(uriEncode(unreserved)).toBe(unreserved);
  });

  it('encodes everything else with upper-case hex, space as %20, never +', () => {
    expect(uriEncode(" !\"#$%&'()*+,/:;=?@[]")).toBe('%20%21%22%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D');
  });

  it('encodes non-ASCII characters byte by byte from UTF-8', () => {
    expect(uriEncode('ሴ')).toBe('%E1%88%B4');
    expect(uriEncode('é')).toBe('%C3%A9');
  });

  it("keeps '/' only when asked", () => {
    expect(uriEncode('a/b c', { keepSlash: true })).toBe('a/b%20c');
    expect(uriEncode('a/b')).toBe('a%2Fb');
  });
});

describe('percentDecode', () => {
  it('decodes %XX in either case into bytes', () => {
    expect(percentDecode('%C3%a9').toString('utf8')).toBe('é');
  });

  it('leaves malformed sequences literal instead of throwing', () => {
    expect(percentDecode('100%').toString('latin1')).toBe('100%');
    expect(percentDecode('%zz%4').toString('latin1')).toBe('%zz%4');
  });

  it('keeps invalid UTF-8 byte-exact, so re-encoding restores it', () => {
    expect(uriEncode(percentDecode('%FF%C3'))).toBe('%FF%C3');
  });

  it("reads '+' as a space only when asked", () => {
    expect(percentDecode('a+b', { plusAsSpace: true }).toString()).toBe('a b');
    expect(percentDecode('a+b').toString()).toBe('a+b');
    expect(percentDecode('a%2Bb', { plusAsSpace: true }).toString()).toBe('a+b');
  });
});

describe('createCanonicalUri', () => {
  it('is the path decoded once and encoded once: a client-encoded path is unchanged, never double-encoded', () => {
    expect(createCanonicalUri('/test%20file')).toBe('/test%20file');
    expect(createCanonicalUri('/b/caf%C3%A9')).toBe('/b/caf%C3%A9');
  });

  it('encodes raw reserved characters the way AWS showed (= -> %3D, @ -> %40, $ -> %24)', () => {
    expect(createCanonicalUri('/b/asset_id=my-asset')).toBe('/b/asset_id%3Dmy-asset');
    expect(createCanonicalUri('/b/a@b')).toBe('/b/a%40b');
    expect(createCanonicalUri('/test$file.text')).toBe('/test%24file.text');
  });

  it('upper-cases lower-case percent escapes', () => {
    expect(createCanonicalUri('/b/%c3%a9')).toBe('/b/%C3%A9');
  });

  it('never normalises: a//b, a/./b and ../ stay as they are', () => {
    expect(createCanonicalUri('/b/a//b')).toBe('/b/a//b');
    expect(createCanonicalUri('/b/a/./b')).toBe('/b/a/./b');
    expect(createCanonicalUri('/b/../x')).toBe('/b/../x');
  });

  it("reads a literal '+' in the path as a space, as AWS S3 does; %2B stays a plus", () => {
    expect(createCanonicalUri('/libstdc++-docs')).toBe('/libstdc%20%20-docs');
    expect(createCanonicalUri('/a%2Bb')).toBe('/a%2Bb');
  });

  it("decodes %2F to '/', which the path keeps literal (decode once, encode once)", () => {
    expect(createCanonicalUri('/b/a%2Fb')).toBe('/b/a/b');
  });

  it("an empty path is '/'", () => {
    expect(createCanonicalUri('')).toBe('/');
  });
});

describe('createCanonicalQuery', () => {
  it('no query gives an empty line', () => {
    expect(createCanonicalQuery('')).toBe('');
  });

  it("writes a valueless parameter as 'key='", () => {
    expect(createCanonicalQuery('lifecycle')).toBe('lifecycle=');
    expect(createCanonicalQuery('acl=')).toBe('acl=');
  });

  it('sorts by key, then by value for repeated keys, in byte order (upper case first)', () => {
    expect(createCanonicalQuery('b=2&a=2&a=1&B=0')).toBe('B=0&a=1&a=2&b=2');
  });

  it('sorts by key alone before values: Param before Param-3', () => {
    expect(createCanonicalQuery('Param-3=Value3&Param=Value2&%E1%88%B4=Value1')).toBe('%E1%88%B4=Value1&Param=Value2&Param-3=Value3');
  });

  it("encodes '/' in values and re-encodes what the client under-encoded", () => {
    expect(createCanonicalQuery('X-Amz-Credential=AKID/20130524/us-east-1/s3/aws4_request')).toBe(
      'X-Amz-Credential=AKID%2F20130524%2Fus-east-1%2Fs3%2Faws4_request',
    );
    expect(createCanonicalQuery('prefix=a b&k=%7e')).toBe('k=~&prefix=a%20b');
  });

  it("reads '+' as a space and %2B as a plus", () => {
    expect(createCanonicalQuery('a=x+y&b=x%2By')).toBe('a=x%20y&b=x%2By');
  });

  it('splits at the first = only, and skips empty items', () => {
    expect(createCanonicalQuery('a=b=c&&d')).toBe('a=b%3Dc&d=');
  });

  it('leaves out excluded parameters, matched exactly', () => {
    expect(createCanonicalQuery('X-Amz-Signature=abc&x-amz-signature=def&a=1', { exclude: ['X-Amz-Signature'] })).toBe(
      'a=1&x-amz-signature=def',
    );
  });
});

describe('createCanonicalHeaders', () => {
  it('trims and collapses whitespace runs, inside quotes too', () => {
    expect(canonicalHeaderValue('  "a   b \t c"  ')).toBe('"a b c"');
  });

  it('turns obs-fold line breaks into single spaces', () => {
    expect(canonicalHeaderValue('value1\n  value2\n     value3')).toBe('value1 value2 value3');
  });

  it('does not take the latin-1 character 0xA0 for a space', () => {
    expect(canonicalHeaderValue('a\u00a0b')).toBe('a\u00a0b');
  });

  it('joins repeated headers with "," in arrival order, unsorted', () => {
    expect(createCanonicalHeaders({ 'my-header1': ['value4', ' value1', 'value3 ', 'value2'] }, ['my-header1'])).toBe(
      'my-header1:value4,value1,value3,value2\n',
    );
  });

  it("writes a signed header that was not sent as 'name:'", () => {
    expect(createCanonicalHeaders({ host: ['h'] }, ['host', 'range'])).toBe('host:h\nrange:\n');
  });

  it('finds headers whatever the case of their names', () => {
    expect(createCanonicalHeaders({ Host: ['h'] }, ['host'])).toBe('host:h\n');
  });
});

describe('createSignedHeaders', () => {
  it('lower-cases, de-duplicates and sorts', () => {
    expect(createSignedHeaders(['X-Amz-Date', 'host', 'Content-Type', 'HOST'])).toBe('content-type;host;x-amz-date');
  });
});

describe('createCanonicalRequest and createStringToSign', () => {
  it('join the six parts with a blank line after the headers and no trailing newline', () => {
    const creq = createCanonicalRequest({
      method: 'GET',
      canonicalUri: '/',
      canonicalQuery: '',
      canonicalHeaders: 'host:h\n',
      signedHeaders: 'host',
      payloadHash: 'UNSIGNED-PAYLOAD',
    });
    expect(creq).toBe('GET\n/\n\nhost:h\n\nhost\nUNSIGNED-PAYLOAD');
  });

  it('string to sign: algorithm, time, scope, hex SHA-256 of the canonical request', () => {
    const scope = createCredentialScope('20130524', 'us-east-1', 's3');
    expect(scope).toBe('20130524/us-east-1/s3/aws4_request');
    expect(createStringToSign('20130524T000000Z', scope, '')).toBe(
      'AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
});
