import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../../src/policy/parse-policy.ts';
import { base64, encodePolicy, FAR_FUTURE } from './fixtures.ts';

const EXP = `"expiration": "${FAR_FUTURE}"`;

/** A document's JSON text with the given conditions text, base64-encoded. */
function withConditions(conditionsText: string): string {
  return base64(`{${EXP}, "conditions": [${conditionsText}]}`);
}

function failureOf(policy: string) {
  const result = parsePolicy(policy);
  if (result.ok) throw new Error('expected the policy to be refused');
  return result.failure;
}

function conditionsOf(policy: string) {
  const result = parsePolicy(policy);
  if (!result.ok) throw new Error(`expected the policy to parse: ${result.failure.message}`);
  return result.policy.conditions;
}

describe('parsePolicy refuses malformed documents (400 InvalidPolicyDocument)', () => {
  it.each([
    ['characters outside base64', '%%%notbase64%%%', 'Invalid Policy: invalid Base64 encoding.'],
    ['base64 of one stray character', 'eyJhI', 'Invalid Policy: invalid Base64 encoding.'],
    ['base64 of text that is not JSON', base64('expiration: tomorrow'), 'Invalid Policy: Invalid JSON.'],
    ['base64 of bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), 'Invalid Policy: Invalid JSON.'],
    ['an empty policy', '', 'Invalid Policy: Invalid JSON.'],
    ['a JSON array at the top', encodePolicy([]), 'Invalid Policy: Invalid JSON.'],
    ['expiration given twice', base64(`{${EXP}, ${EXP}, "conditions": []}`), "Invalid Policy: Invalid JSON: duplicate key 'expiration'."],
    ['a simple condition with a repeated key', withConditions('{"acl": "a", "acl": "b"}'), "Invalid Policy: Invalid JSON: duplicate key 'acl'."],
    ['no expiration', encodePolicy({ conditions: [] }), 'Invalid Policy: Policy missing expiration.'],
    ['EXPIRATION in capitals (keys are case-sensitive)', encodePolicy({ EXPIRATION: FAR_FUTURE, conditions: [] }), 'Invalid Policy: Policy missing expiration.'],
    ['no conditions', encodePolicy({ expiration: FAR_FUTURE }), 'Invalid Policy: Policy missing conditions.'],
    ['CONDITIONS in capitals', encodePolicy({ expiration: FAR_FUTURE, CONDITIONS: [] }), 'Invalid Policy: Policy missing conditions.'],
    ['an unknown top-level key', encodePolicy({ expiration: FAR_FUTURE, conditions: [], extra: 1 }), "Invalid Policy: Unexpected field 'extra'."],
    ['expiration without a time zone', encodePolicy({ expiration: '2015-12-30T12:00:00', conditions: [] }), "Invalid Policy: Invalid 'expiration' value"],
    ['expiration with a space for T', encodePolicy({ expiration: '2015-12-30 12:00:00Z', conditions: [] }), "Invalid Policy: Invalid 'expiration' value"],
    ['expiration on 30 February', encodePolicy({ expiration: '2015-02-30T12:00:00Z', conditions: [] }), "Invalid Policy: Invalid 'expiration' value"],
    ['expiration at hour 24', encodePolicy({ expiration: '2015-12-30T24:00:00Z', conditions: [] }), "Invalid Policy: Invalid 'expiration' value"],
    ['expiration as a number', encodePolicy({ expiration: 1451476800, conditions: [] }), "Invalid Policy: Invalid 'expiration' value"],
    ['expiration as a date only', encodePolicy({ expiration: '2015-12-30', conditions: [] }), "Invalid Policy: Invalid 'expiration' value"],
    ['conditions as an object', encodePolicy({ expiration: FAR_FUTURE, conditions: {} }), "Invalid Policy: Invalid 'conditions' value: must be a List."],
    ['a condition that is a number', withConditions('42'), 'Invalid Policy: Invalid Condition: must be a List or Object.'],
    ['an empty simple condition', withConditions('{}'), 'Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.'],
    ['a simple condition with two properties', withConditions('{"bucket": "b", "acl": "private"}'), 'Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.'],
    ['a simple condition with a number value', withConditions('{"success_action_status": 201}'), 'Invalid Policy: Invalid Simple-Condition: value must be a string.'],
    ['an empty array condition', withConditions('[]'), 'Invalid Policy: Invalid Condition: missing operation identifier.'],
    ['an operator that is not a string', withConditions('[1, "$acl", "x"]'), 'Invalid Policy: Invalid Condition: missing operation identifier.'],
    ['an unknown operator', withConditions('["in", "$acl", "x"]'), "Invalid Policy: Invalid Condition: unknown operation 'in'."],
    ['eq with two elements', withConditions('["eq", "$acl"]'), 'Invalid Policy: Invalid eq: wrong number of arguments.'],
    ['starts-with with four elements', withConditions('["starts-with", "$key", "a", "b"]'), 'Invalid Policy: Invalid starts-with: wrong number of arguments.'],
    ['content-length-range with two elements', withConditions('["content-length-range", 0]'), 'Invalid Policy: Invalid content-length-range: wrong number of arguments.'],
    ['eq on a field name that is a number', withConditions('["eq", 5, "x"]'), 'Invalid Policy: Invalid eq: the field name must be a string.'],
    ['eq with a number value', withConditions('["eq", "$success_action_status", 201]'), 'Invalid Policy: Invalid eq: value must be a string.'],
    ['a negative minimum size', withConditions('["content-length-range", -1, 10]'), 'Invalid Policy: Invalid content-length-range: bounds must be non-negative integers.'],
    ['a negative size as a string', withConditions('["content-length-range", "0", "-10"]'), 'Invalid Policy: Invalid content-length-range: bounds must be non-negative integers.'],
    ['a fractional size', withConditions('["content-length-range", 1.5, 10]'), 'Invalid Policy: Invalid content-length-range: bounds must be non-negative integers.'],
    ['a null size', withConditions('["content-length-range", null, 10]'), 'Invalid Policy: Invalid content-length-range: bounds must be non-negative integers.'],
  ])('%s', (_name, policy, message) => {
    expect(failureOf(policy)).toEqual({ reason: 'InvalidPolicyDocument', message, elements: {} });
  });
});

describe('parsePolicy: conditions AWS accepts as a document but never satisfies (403 Policy Condition failed)', () => {
  it.each([
    [
      'a field named without its $',
      '["eq", "success_action_redirect", "http://localhost.test/random"]',
      '["eq", "success_action_redirect", "http://localhost.test/random"]',
    ],
    ['a field named by a lone $', '["starts-with", "$", "x"]', '["starts-with", "$", "x"]'],
    ['a size that is not a number', '["content-length-range", "test", "10"]', '["content-length-range", "test", "10"]'],
    ['a size that is a number and one that is not', '["content-length-range", 5, "ten"]', '["content-length-range", "5", "ten"]'],
  ])('%s', (_name, conditionText, rendered) => {
    expect(failureOf(withConditions(conditionText))).toEqual({
      reason: 'PolicyConditionFailed',
      message: `Invalid according to Policy: Policy Condition failed: ${rendered}`,
      elements: {},
    });
  });
});

describe('parsePolicy normalises conditions', () => {
  it('the object form is eq, its field lower-cased, its source in AWS array form', () => {
    expect(conditionsOf(withConditions('{"Content-Type": "image/png"}'))).toEqual([
      { op: 'eq', field: 'content-type', value: 'image/png', source: '["eq", "$Content-Type", "image/png"]' },
    ]);
  });

  it('operator and field names are case-insensitive, and print as written', () => {
    expect(conditionsOf(withConditions('["EQ", "$KeY", "a"], ["StArTs-WiTh", "$X-Amz-Meta-Tag", "t"]'))).toEqual([
      { op: 'eq', field: 'key', value: 'a', source: '["EQ", "$KeY", "a"]' },
      { op: 'starts-with', field: 'x-amz-meta-tag', value: 't', source: '["StArTs-WiTh", "$X-Amz-Meta-Tag", "t"]' },
    ]);
  });

  it('values keep their case', () => {
    expect(conditionsOf(withConditions('["eq", "$success_action_redirect", "HTTP://Example.test/"]'))[0]).toMatchObject({
      value: 'HTTP://Example.test/',
    });
  });

  it('a compact policy prints with ", " between elements, as S3 does', () => {
    expect(conditionsOf(withConditions('["starts-with","$key","user/"]'))[0].source).toBe('["starts-with", "$key", "user/"]');
  });

  it('content-length-range takes integers or strings of digits', () => {
    expect(conditionsOf(withConditions('["content-length-range", 5, 10], ["Content-Length-Range", "0", "1048576"]'))).toEqual([
      { op: 'content-length-range', min: 5, max: 10, source: '["content-length-range", "5", "10"]' },
      { op: 'content-length-range', min: 0, max: 1048576, source: '["Content-Length-Range", "0", "1048576"]' },
    ]);
  });

  it('\\$ in a policy string is a $ ([S3-V2FORM] escapes)', () => {
    const text = `{${EXP}, "conditions": [["starts-with", "$key", "\\$foo"]]}`;
    expect(conditionsOf(base64(text))[0]).toMatchObject({ value: '$foo' });
  });

  it('an empty conditions list is a valid document', () => {
    expect(conditionsOf(encodePolicy({ expiration: FAR_FUTURE, conditions: [] }))).toEqual([]);
  });
});

describe('parsePolicy reads the expiration', () => {
  it.each([
    ['with milliseconds (AWS example, JS v2)', '2015-12-30T12:00:00.000Z', '2015-12-30T12:00:00.000Z'],
    ['without a fraction (boto3, JS v3)', '2015-12-30T12:00:00Z', '2015-12-30T12:00:00.000Z'],
    ['with a microsecond fraction', '2015-12-30T12:00:00.123456Z', '2015-12-30T12:00:00.123Z'],
    ['with an offset', '2015-12-30T13:30:00+01:30', '2015-12-30T12:00:00.000Z'],
    ['on 29 February of a leap year', '2016-02-29T00:00:00Z', '2016-02-29T00:00:00.000Z'],
  ])('%s', (_name, expiration, iso) => {
    const result = parsePolicy(encodePolicy({ expiration, conditions: [] }));
    expect(result.ok && result.policy.expiration.toISOString()).toBe(iso);
  });

  it('29 February of a common year is refused', () => {
    expect(failureOf(encodePolicy({ expiration: '2015-02-29T00:00:00Z', conditions: [] })).reason).toBe('InvalidPolicyDocument');
  });
});

describe('parsePolicy reads base64 as clients send it', () => {
  const policy = encodePolicy({ expiration: FAR_FUTURE, conditions: [{ acl: 'private' }] });

  it('without padding', () => {
    expect(policy).toMatch(/==$/);
    expect(parsePolicy(policy.replace(/=+$/, '')).ok).toBe(true);
  });

  it('wrapped in lines (Ruby Base64.encode64)', () => {
    expect(parsePolicy(policy.replace(/(.{20})/g, '$1\n')).ok).toBe(true);
  });
});
