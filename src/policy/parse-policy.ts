/**
 * The `policy` form field -> PostPolicy (reference s3-auth.md §5.3).
 *
 *   base64 --decode--> UTF-8 JSON --read--> { "expiration": ISO 8601, "conditions": [ … ] }
 *
 * Only call this after the signature over the base64 text has been checked: S3 answers a
 * tampered policy with SignatureDoesNotMatch, never with a policy error (§5.2).
 *
 * Conditions are normalised here: the object form `{"acl": "x"}` becomes `eq`, operator and
 * field names are lower-cased (both are case-insensitive), and each keeps `source`, its AWS
 * rendering for "Policy Condition failed: …".
 */
import { invalidAccordingToPolicy, invalidPolicyDocument } from './policy-messages.ts';
import { parsePolicyJson, type JsonValue } from './policy-json.ts';
import type { Condition, PolicyFailure, PostPolicy } from './types.ts';

export type ParsePolicyResult = { ok: true; policy: PostPolicy } | { ok: false; failure: PolicyFailure };
type Parsed<T> = { ok: true; value: T } | { ok: false; failure: PolicyFailure };

const TOP_LEVEL_KEYS = new Set(['expiration', 'conditions']);

export function parsePolicy(base64: string): ParsePolicyResult {
  const text = decodePolicyBase64(base64);
  if (!text.ok) return text;
  const json = parsePolicyJson(text.value);
  if (!json.ok) {
    return {
      ok: false,
      failure: json.error === 'duplicate-key' ? invalidPolicyDocument.duplicateKey(json.key) : invalidPolicyDocument.json(),
    };
  }
  return readPolicy(json.value);
}

/** One decoder for every policy: without `stream`, decode() keeps no state between calls. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Standard base64 with or without padding. ASCII whitespace is skipped, since line-wrapped
 * base64 (Ruby's Base64.encode64) is common and the signature already covers the text as sent.
 * Anything else that Buffer.from would silently drop is an error. UNVERIFIED: AWS's leniency.
 * The bytes must be UTF-8 (§5.3: "JSON, UTF-8, then base64").
 */
function decodePolicyBase64(base64: string): Parsed<string> {
  const compact = base64.replace(/[ \t\r\n]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
    return { ok: false, failure: invalidPolicyDocument.base64() };
  }
  const bytes = Buffer.from(compact, 'base64');
  try {
    return { ok: true, value: UTF8.decode(bytes) };
  } catch {
    return { ok: false, failure: invalidPolicyDocument.json() };
  }
}

function readPolicy(doc: JsonValue): ParsePolicyResult {
  if (doc.type !== 'object') return { ok: false, failure: invalidPolicyDocument.json() };
  // Keys are case-sensitive: `EXPIRATION` is not `expiration` (s3-tests, §5.3).
  const expirationValue = doc.members.find((m) => m.name === 'expiration')?.value;
  const conditionsValue = doc.members.find((m) => m.name === 'conditions')?.value;
  if (!expirationValue) return { ok: false, failure: invalidPolicyDocument.missingExpiration() };
  if (!conditionsValue) return { ok: false, failure: invalidPolicyDocument.missingConditions() };
  const unexpected = doc.members.find((m) => !TOP_LEVEL_KEYS.has(m.name));
  if (unexpected) return { ok: false, failure: invalidPolicyDocument.unexpectedKey(unexpected.name) };
  const expiration = parseExpiration(expirationValue);
  if (!expiration) return { ok: false, failure: invalidPolicyDocument.expiration() };
  if (conditionsValue.type !== 'array') return { ok: false, failure: invalidPolicyDocument.conditionsNotList() };
  const conditions: Condition[] = [];
  for (const item of conditionsValue.items) {
    const condition = parseCondition(item);
    if (!condition.ok) return condition;
    conditions.push(condition.value);
  }
  return { ok: true, policy: { expiration, conditions } };
}

/**
 * ISO 8601 in UTC or with an offset, seconds required, any fraction:
 *   2015-12-30T12:00:00.000Z   (AWS example, JS v2)
 *   2015-12-30T12:00:00Z       (boto3, JS v3)
 */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;

function parseExpiration(value: JsonValue): Date | undefined {
  if (value.type !== 'string') return undefined;
  const m = ISO_8601.exec(value.value);
  if (!m) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '0', zone] = m;
  if (!isCalendarDate(+year, +month, +day) || +hour > 23 || +minute > 59 || +second > 59) return undefined;
  if (zone !== 'Z' && (+zone.slice(1, 3) > 23 || +zone.slice(4, 6) > 59)) return undefined;
  const millis = fraction.padEnd(3, '0').slice(0, 3);
  const ms = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}.${millis}${zone}`);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function parseCondition(item: JsonValue): Parsed<Condition> {
  if (item.type === 'object') return parseSimpleCondition(item.members);
  if (item.type === 'array') return parseArrayCondition(item.items);
  return { ok: false, failure: invalidPolicyDocument.conditionShape() };
}

/** `{"acl": "public-read"}` is `["eq", "$acl", "public-read"]`. */
function parseSimpleCondition(members: Array<{ name: string; value: JsonValue }>): Parsed<Condition> {
  if (members.length !== 1) return { ok: false, failure: invalidPolicyDocument.simpleConditionProperties() };
  const [{ name, value }] = members;
  if (value.type !== 'string') return { ok: false, failure: invalidPolicyDocument.simpleConditionValue() };
  const source = renderCondition('eq', `$${name}`, value.value);
  return { ok: true, value: { op: 'eq', field: name.toLowerCase(), value: value.value, source } };
}

function parseArrayCondition(items: JsonValue[]): Parsed<Condition> {
  const [opValue] = items;
  if (!opValue || opValue.type !== 'string') return { ok: false, failure: invalidPolicyDocument.missingOperation() };
  const written = opValue.value;
  const op = written.toLowerCase();
  if (op !== 'eq' && op !== 'starts-with' && op !== 'content-length-range') {
    return { ok: false, failure: invalidPolicyDocument.unknownOperation(written) };
  }
  if (items.length !== 3) return { ok: false, failure: invalidPolicyDocument.argumentCount(written) };
  if (op === 'content-length-range') return parseContentLengthRange(written, items[1], items[2]);
  return parseFieldCondition(op, written, items[1], items[2]);
}

function parseFieldCondition(op: 'eq' | 'starts-with', written: string, fieldValue: JsonValue, value: JsonValue): Parsed<Condition> {
  if (fieldValue.type !== 'string') return { ok: false, failure: invalidPolicyDocument.fieldNotString(written) };
  if (value.type !== 'string') return { ok: false, failure: invalidPolicyDocument.valueNotString(written) };
  const source = renderCondition(written, fieldValue.value, value.value);
  // A field named without its '$' is accepted as a document but never satisfied: AWS-OBS
  // ([LS-SNAP]) `["eq", "success_action_redirect", …]` -> "Policy Condition failed". UNVERIFIED:
  // whether AWS reports it before an expired policy; we report it here, before expiry.
  if (!fieldValue.value.startsWith('$') || fieldValue.value.length === 1) {
    return { ok: false, failure: invalidAccordingToPolicy.conditionFailed(source) };
  }
  return { ok: true, value: { op, field: fieldValue.value.slice(1).toLowerCase(), value: value.value, source } };
}

/**
 * Bounds are integers or strings of digits (AWS-OBS: `5, 10` and `"5", "10"` both work).
 * A string that is not a number is accepted as a document but fails as a condition (AWS-OBS:
 * `["content-length-range", "test", "10"]` -> "Policy Condition failed"). A negative bound is a
 * 400 (s3-tests), as is a fraction or any other type (UNVERIFIED).
 */
function parseContentLengthRange(written: string, minValue: JsonValue, maxValue: JsonValue): Parsed<Condition> {
  const source = renderCondition(written, boundText(minValue), boundText(maxValue));
  const min = readBound(minValue);
  const max = readBound(maxValue);
  for (const bound of [min, max]) {
    if (bound === 'invalid') return { ok: false, failure: invalidPolicyDocument.rangeBound() };
  }
  for (const bound of [min, max]) {
    if (bound === 'not-a-number') return { ok: false, failure: invalidAccordingToPolicy.conditionFailed(source) };
  }
  return { ok: true, value: { op: 'content-length-range', min: min as number, max: max as number, source } };
}

function readBound(value: JsonValue): number | 'invalid' | 'not-a-number' {
  if (value.type === 'string') {
    if (/^-\d+$/.test(value.value)) return 'invalid';
    if (!/^\d+$/.test(value.value)) return 'not-a-number';
    return checkedBound(Number(value.value));
  }
  if (value.type === 'number') return checkedBound(value.value);
  return 'invalid';
}

function checkedBound(n: number): number | 'invalid' {
  return Number.isSafeInteger(n) && n >= 0 ? n : 'invalid';
}

function boundText(value: JsonValue): string {
  if (value.type === 'string') return value.value;
  if (value.type === 'number') return value.text;
  return '';
}

/**
 * AWS prints a failed condition as an array of double-quoted strings joined by ", ",
 * whatever the spacing of the policy text (AWS-OBS: a compact JSON.stringify policy came back
 * as `["starts-with", "$Content-Length", ""]`, asafdav/ng-s3upload#28). Names keep their case
 * and '$'. UNVERIFIED: how numbers print (we quote them like strings) and whether quotes
 * inside values are escaped (we print values raw).
 */
export function renderCondition(op: string, first: string, second: string): string {
  return `["${op}", "${first}", "${second}"]`;
}
