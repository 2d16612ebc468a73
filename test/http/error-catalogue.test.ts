/**
 * The error catalogue as an invariant (after Fastify's errors.test.js): every reason maps to an
 * S3 status and Code, and renders as a well-formed S3 error document with its elements in order.
 */
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderErrorXml } from '../../src/http/error-xml.ts';
import { S3Error, S3_ERRORS, type ErrorReason } from '../../src/http/s3-errors.ts';
import { errorElementNames, parseErrorXml } from '../helpers/s3-xml.ts';

const reasons = Object.keys(S3_ERRORS) as ErrorReason[];

describe('the S3 error catalogue', () => {
  it.each(reasons)('%s has an S3 status, a Code and a Message', (reason) => {
    const spec = S3_ERRORS[reason];
    expect([304, 400, 403, 404, 405, 409, 411, 412, 416, 500, 501, 503]).toContain(spec.status);
    expect(spec.code).toMatch(/^[A-Z][A-Za-z0-9]+$/);
    expect(spec.message.length).toBeGreaterThan(3);
  });

  it.each(reasons)('%s renders a well-formed <Error> with Code, Message, its elements, Resource, RequestId', (reason) => {
    const err = new S3Error(reason, { elements: { First: 'a <b> & "c"', Second: 'line1\nline2' } });
    const xml = renderErrorXml(err, '/bucket/key with <angle>', 'REQ123', 'HOST456');
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(errorElementNames(xml)).toEqual(['Code', 'Message', 'First', 'Second', 'Resource', 'RequestId', 'HostId']);
    expect(parseErrorXml(xml)).toMatchObject({
      Code: S3_ERRORS[reason].code,
      Message: S3_ERRORS[reason].message,
      First: 'a <b> & "c"',
      Second: 'line1\nline2',
      Resource: '/bucket/key with <angle>',
      RequestId: 'REQ123',
    });
  });

  it('reasons that share an S3 code keep their own name (several reasons, one code)', () => {
    const byCode = new Map<string, ErrorReason[]>();
    for (const r of reasons) byCode.set(S3_ERRORS[r].code, [...(byCode.get(S3_ERRORS[r].code) ?? []), r]);
    expect(byCode.get('InvalidAccessKeyId')).toEqual(expect.arrayContaining(['AccessKeyUnknown', 'TokenRevoked', 'TokenExpired']));
    expect(byCode.get('AccessDenied')).toEqual(expect.arrayContaining(['RequestExpired', 'RequestNotYetValid', 'ScopeDenied', 'HeadersNotSigned']));
  });
});
