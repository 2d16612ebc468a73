/**
 * The three time formats of SigV4 and S3's error bodies.
 *
 *   amz date     20130524T000000Z                 X-Amz-Date, string to sign, RequestTime
 *   HTTP date    Fri, 24 May 2013 00:00:00 GMT    the Date header (RFC 1123)
 *   error time   2013-05-24T00:00:00Z             Expires, ServerTime (ISO 8601, no fraction)
 */
import { AMZ_DATE_FORMAT, SHORT_DATE_FORMAT } from './constants.ts';

function utcDate(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): Date | undefined {
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Date.UTC rolls 31 Feb over into March; a real calendar date survives the round trip.
  const valid =
    date.getUTCFullYear() === y &&
    date.getUTCMonth() === mo - 1 &&
    date.getUTCDate() === d &&
    date.getUTCHours() === h &&
    date.getUTCMinutes() === mi &&
    date.getUTCSeconds() === s;
  return valid ? date : undefined;
}

/** `yyyyMMdd'T'HHmmss'Z'` -> Date, or undefined when the text or the calendar date is wrong. */
export function parseAmzDate(value: string): Date | undefined {
  const m = AMZ_DATE_FORMAT.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  return utcDate(y, mo, d, h, mi, s);
}

/** `yyyyMMdd` -> true when it is a calendar date. */
export function isShortDate(value: string): boolean {
  const m = SHORT_DATE_FORMAT.exec(value);
  if (!m) return false;
  const [y, mo, d] = m.slice(1).map(Number);
  return utcDate(y, mo, d) !== undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HTTP_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (GMT|UTC|UT|Z|[+-]\d{4})$/;

/**
 * An RFC 1123 date (`Fri, 24 May 2013 00:00:00 GMT`). Also takes a numeric zone
 * (`+0000`), which SigV2 clients send. Anything else is undefined.
 */
export function parseHttpDate(value: string): Date | undefined {
  const m = HTTP_DATE.exec(value);
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[2]) + 1;
  if (month === 0) return undefined;
  const date = utcDate(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (!date) return undefined;
  return new Date(date.getTime() - zoneOffsetMs(m[7]));
}

function zoneOffsetMs(zone: string): number {
  if (!/^[+-]\d{4}$/.test(zone)) return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5))) * 60_000;
}

/** Date -> `yyyyMMdd'T'HHmmss'Z'` (milliseconds dropped). */
export function formatAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Date -> `YYYY-MM-DDTHH:MM:SSZ`, the form of S3's Expires and ServerTime elements. */
export function formatErrorTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
