import { describe, expect, it } from 'vitest';
import {
  createCanonicalizedAmzHeaders,
  createCanonicalizedResource,
  createHeaderStringToSign,
  createQueryStringToSign,
  createSigV2StringToSign,
  queryAuthHeaders,
} from '../../../src/sigv2/string-to-sign.ts';
import { signV2 } from '../../../src/sigv2/signature.ts';
import { verifySigV2Header } from '../../../src/sigv2/verify.ts';
import { AKID, SECRET, contextAt, request, stepNamed } from './helpers.ts';
import type { SignableRequest } from '../../../src/auth/types.ts';

/**
 * The eight header-auth examples of the AWS SigV2 document (reference s3-auth.md §7.6): the
 * request as the document shows it, the string to sign and the signature, written out by hand.
 */
const DOC_EXAMPLES: { name: string; req: SignableRequest; now: string; stringToSign: string; signature: string; form?: string }[] = [
  {
    name: 'GET object (virtual-hosted)',
    req: request('GET', '/photos/puppy.jpg', { Host: 'awsexamplebucket1.us-west-1.s3.amazonaws.com', Date: 'Tue, 27 Mar 2007 19:36:42 +0000' }, 'awsexamplebucket1'),
    now: '2007-03-27T19:36:42Z',
    stringToSign: 'GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/awsexamplebucket1/photos/puppy.jpg',
    signature: 'qgk2+6Sv9/oM7G3qLEjTH1a1l1g=',
  },
  {
    name: 'PUT object with Content-Type',
    req: request(
      'PUT',
      '/photos/puppy.jpg',
      { 'Content-Type': 'image/jpeg', 'Content-Length': '94328', Host: 'awsexamplebucket1.s3.us-west-1.amazonaws.com', Date: 'Tue, 27 Mar 2007 21:15:45 +0000' },
      'awsexamplebucket1',
    ),
    now: '2007-03-27T21:15:45Z',
    stringToSign: 'PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/awsexamplebucket1/photos/puppy.jpg',
    signature: 'iqRzw+ileNPu1fhspnRs8nOjjIA=',
  },
  {
    name: 'List (query parameters that are not sub-resources are not signed)',
    req: request(
      'GET',
      '/?prefix=photos&max-keys=50&marker=puppy',
      { 'User-Agent': 'Mozilla/5.0', Host: 'awsexamplebucket1.s3.us-west-1.amazonaws.com', Date: 'Tue, 27 Mar 2007 19:42:41 +0000' },
      'awsexamplebucket1',
    ),
    now: '2007-03-27T19:42:41Z',
    stringToSign: 'GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/awsexamplebucket1/',
    signature: 'm0WP8eCtspQl5Ahe6L1SozdX9YA=',
  },
  {
    name: 'Fetch ACL (?acl sub-resource)',
    req: request('GET', '/?acl', { Host: 'awsexamplebucket1.s3.us-west-1.amazonaws.com', Date: 'Tue, 27 Mar 2007 19:44:46 +0000' }, 'awsexamplebucket1'),
    now: '2007-03-27T19:44:46Z',
    stringToSign: 'GET\n\n\nTue, 27 Mar 2007 19:44:46 +0000\n/awsexamplebucket1/?acl',
    signature: '82ZHiFIjc+WbcwFKGUVEQspPn+0=',
  },
  {
    name: 'DELETE path-style with x-amz-date on the Date line',
    req: request('DELETE', '/awsexamplebucket1/photos/puppy.jpg', {
      'User-Agent': 'dotnet',
      Host: 's3.us-west-1.amazonaws.com',
      Date: 'Tue, 27 Mar 2007 21:20:27 +0000',
      'x-amz-date': 'Tue, 27 Mar 2007 21:20:26 +0000',
    }),
    now: '2007-03-27T21:20:30Z',
    stringToSign: 'DELETE\n\n\nTue, 27 Mar 2007 21:20:26 +0000\n/awsexamplebucket1/photos/puppy.jpg',
    signature: 'XbyTlbQdu9Xw5o8P4iMwPktxQd8=',
    form: 'x-amz-date on the Date line',
  },
  {
    name: 'Upload with amz headers, repeated header and CNAME bucket',
    req: request(
      'PUT',
      '/db-backup.dat.gz',
      {
        'User-Agent': 'curl/7.15.5',
        Host: 'static.awsexamplebucket1.net:8080',
        Date: 'Tue, 27 Mar 2007 21:06:08 +0000',
        'x-amz-acl': 'public-read',
        'content-type': 'application/x-download',
        'Content-MD5': '4gJE4saaMU4BqNR0kLY+lw==',
        'X-Amz-Meta-ReviewedBy': ['joe@awsexamplebucket1.net', 'jane@awsexamplebucket1.net'],
        'X-Amz-Meta-FileChecksum': '0x02661779',
        'X-Amz-Meta-ChecksumAlgorithm': 'crc32',
        'Content-Disposition': 'attachment; filename=database.dat',
        'Content-Encoding': 'gzip',
        'Content-Length': '5913339',
      },
      'static.awsexamplebucket1.net',
    ),
    now: '2007-03-27T21:06:08Z',
    stringToSign:
      'PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\n' +
      'x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n' +
      'x-amz-meta-reviewedby:joe@awsexamplebucket1.net,jane@awsexamplebucket1.net\n' +
      '/static.awsexamplebucket1.net/db-backup.dat.gz',
    signature: 'dKZcB+bz2EPXgSdXZp9ozGeOM4I=',
  },
  {
    name: 'List all buckets (no bucket: "/")',
    req: request('GET', '/', { Host: 's3.us-west-1.amazonaws.com', Date: 'Wed, 28 Mar 2007 01:29:59 +0000' }),
    now: '2007-03-28T01:29:59Z',
    stringToSign: 'GET\n\n\nWed, 28 Mar 2007 01:29:59 +0000\n/',
    signature: 'qGdzdERIC03wnaRNKh6OqZehG9s=',
  },
  {
    name: 'Unicode keys (the path is signed as sent, lower-case escapes included)',
    req: request('GET', '/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re', { Host: 's3.us-west-1.amazonaws.com', Date: 'Wed, 28 Mar 2007 01:49:49 +0000' }),
    now: '2007-03-28T01:49:49Z',
    stringToSign: 'GET\n\n\nWed, 28 Mar 2007 01:49:49 +0000\n/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re',
    signature: 'DNEZGsoieTZ92F3bUfSPQcbGmlM=',
  },
];

describe('AWS SigV2 document examples (§7.6)', () => {
  for (const ex of DOC_EXAMPLES) {
    it(`${ex.name}: string to sign and signature`, () => {
      const dateLine = ex.form ? 'amz-date-on-date-line' : 'standard';
      const stringToSign = createHeaderStringToSign(ex.req, { dateLine, resource: 'bucket-slash' });
      expect(stringToSign).toBe(ex.stringToSign);
      expect(signV2(SECRET, stringToSign)).toBe(ex.signature);
    });

    it(`${ex.name}: verifySigV2Header accepts the document's Authorization header`, () => {
      const req = { ...ex.req, headers: { ...ex.req.headers, authorization: [`AWS ${AKID}:${ex.signature}`] } };
      const result = verifySigV2Header(req, contextAt(ex.now));
      expect(result.ok, JSON.stringify(result.steps, null, 1)).toBe(true);
      if (ex.form) expect(stepNamed(result, 'signature').detail.form).toBe(ex.form);
    });
  }
});

describe('createSigV2StringToSign', () => {
  it('lays out verb, Content-MD5, Content-Type, Date, amz headers and resource', () => {
    const s = createSigV2StringToSign({
      method: 'PUT',
      contentMd5: 'md5',
      contentType: 'text/plain',
      date: '1700000000',
      canonicalizedAmzHeaders: 'x-amz-acl:private\n',
      canonicalizedResource: '/bkt/k',
    });
    expect(s).toBe('PUT\nmd5\ntext/plain\n1700000000\nx-amz-acl:private\n/bkt/k');
  });

  it('keeps empty positional lines when the headers are absent', () => {
    const s = createSigV2StringToSign({ method: 'GET', contentMd5: '', contentType: '', date: '', canonicalizedAmzHeaders: '', canonicalizedResource: '/' });
    expect(s).toBe('GET\n\n\n\n/');
  });

  it('standard x-amz-date form: the Date line is empty and x-amz-date is an amz header', () => {
    const req = request('GET', '/bkt/k', { Date: 'Tue, 27 Mar 2007 21:20:27 +0000', 'X-Amz-Date': 'Tue, 27 Mar 2007 21:20:26 +0000' });
    expect(createHeaderStringToSign(req)).toBe('GET\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/bkt/k');
  });
});

describe('createCanonicalizedAmzHeaders', () => {
  it('lower-cases, sorts, and ends every line with a newline', () => {
    const headers = request('GET', '/', { 'X-Amz-Meta-B': '2', 'x-amz-acl': 'private', 'X-AMZ-META-a': '1', 'Content-Type': 'x' }).headers;
    expect(createCanonicalizedAmzHeaders(headers)).toBe('x-amz-acl:private\nx-amz-meta-a:1\nx-amz-meta-b:2\n');
  });

  it('joins repeated headers with "," and no space, in arrival order', () => {
    const headers = request('GET', '/', { 'x-amz-meta-r': ['zed', 'amy'] }).headers;
    expect(createCanonicalizedAmzHeaders(headers)).toBe('x-amz-meta-r:zed,amy\n');
  });

  it('trims values and unfolds folded lines into one space, keeping inner spaces', () => {
    const headers = request('GET', '/', { 'x-amz-meta-a': '  two  spaces  ', 'x-amz-meta-b': 'line one\r\n\t line two' }).headers;
    expect(createCanonicalizedAmzHeaders(headers)).toBe('x-amz-meta-a:two  spaces\nx-amz-meta-b:line one line two\n');
  });

  it('ignores headers that only look like amz headers (x-amzn-trace-id)', () => {
    const headers = request('GET', '/', { 'x-amzn-trace-id': 'Root=1', 'amz-sdk-request': 'attempt=1' }).headers;
    expect(createCanonicalizedAmzHeaders(headers)).toBe('');
  });
});

describe('createCanonicalizedResource', () => {
  it('virtual-hosted: "/bucket" + the raw path', () => {
    expect(createCanonicalizedResource(request('GET', '/a%20b/c+d', {}, 'bkt'))).toBe('/bkt/a%20b/c+d');
  });

  it('virtual-hosted bucket root: "/bucket/"', () => {
    expect(createCanonicalizedResource(request('GET', '/', {}, 'bkt'))).toBe('/bkt/');
  });

  it('path-style object: the raw path, never decoded or normalised', () => {
    expect(createCanonicalizedResource(request('GET', '/bkt/a//b/../%2Fc'))).toBe('/bkt/a//b/../%2Fc');
  });

  it('path-style bucket without a trailing slash is signed as "/bucket/" (botocore), or as sent', () => {
    expect(createCanonicalizedResource(request('GET', '/bkt'))).toBe('/bkt/');
    expect(createCanonicalizedResource(request('GET', '/bkt'), 'as-sent')).toBe('/bkt');
  });

  it('no bucket: "/"', () => {
    expect(createCanonicalizedResource(request('GET', '/'))).toBe('/');
  });

  it('keeps only sub-resources, sorted by name, bare names without "="', () => {
    const req = request('GET', '/bkt/k?versionId=3&prefix=a&uploads&acl&max-keys=5&AWSAccessKeyId=x');
    expect(createCanonicalizedResource(req)).toBe('/bkt/k?acl&uploads&versionId=3');
  });

  it('signs sub-resource values URL-decoded, response overrides included, "+" kept', () => {
    const req = request('GET', '/bkt/k?response-content-disposition=attachment%3B%20filename%3D%22a%2Bb%20c.txt%22&uploadId=u%2F1%3D2');
    expect(createCanonicalizedResource(req)).toBe('/bkt/k?response-content-disposition=attachment; filename="a+b c.txt"&uploadId=u/1=2');
  });

  it('"name=" with an empty value is signed as sent, "name="', () => {
    expect(createCanonicalizedResource(request('GET', '/bkt/k?acl=&tagging'))).toBe('/bkt/k?acl=&tagging');
  });

  it('sub-resource names are case-sensitive: ?ACL is not ?acl', () => {
    expect(createCanonicalizedResource(request('GET', '/bkt/k?ACL'))).toBe('/bkt/k');
  });
});

describe('query auth string to sign', () => {
  it('uses Expires as the Date line, and headers botocore copied into the query', () => {
    const req = request('PUT', '/bkt/k?content-type=text%2Fplain&x-amz-meta-a=1%202&AWSAccessKeyId=A&Expires=1700000000&Signature=x');
    expect(createQueryStringToSign({ ...req, headers: queryAuthHeaders(req) }, '1700000000')).toBe(
      'PUT\n\ntext/plain\n1700000000\nx-amz-meta-a:1 2\n/bkt/k',
    );
  });

  it('a header sent with the request wins over the query value of the same name', () => {
    const req = request('PUT', '/bkt/k?content-type=text%2Fplain', { 'Content-Type': 'image/png' });
    expect(queryAuthHeaders(req)['content-type']).toEqual(['image/png']);
  });

  it('ignores Date and x-amz-date headers for the Date line', () => {
    const req = request('GET', '/bkt/k', { Date: 'Tue, 27 Mar 2007 21:20:27 +0000' });
    expect(createQueryStringToSign(req, '1175139620')).toBe('GET\n\n\n1175139620\n/bkt/k');
  });
});
