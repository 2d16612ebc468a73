/**
 * The request time of SigV2 header auth, from `Date` or `x-amz-date`.
 *
 *   Tue, 27 Mar 2007 19:36:42 +0000     RFC 1123 (what SDKs send; zone GMT, UT, UTC, Z or ±hhmm;
 *   Wed, 28 Mar 2007 01:29:59 GMT       the weekday is optional and not checked)
 *   Tuesday, 27-Mar-07 19:36:42 GMT     RFC 850, which HTTP/1.1 recipients must still accept
 *   Tue Mar 27 19:36:42 2007            asctime, likewise
 *   20070327T193642Z                    ISO 8601 basic, as SigV4's X-Amz-Date
 *
 * Strict on purpose: `Date.parse` accepts almost anything ("1", "March 7"), and a time S3 would
 * refuse must not be accepted here. Which formats AWS accepts beyond RFC 1123 is UNVERIFIED.
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const RFC1123 = /^(?:[A-Za-z]{3},\s*)?(\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) (GMT|UTC|UT|Z|[+-]\d{4})$/i;
const RFC850 = /^[A-Za-z]+, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/i;
const ASCTIME = /^[A-Za-z]{3} ([A-Za-z]{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;
const ISO_BASIC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

interface Fields {
  year: number;
  month: number; // 0-11
  day: number;
  hour: number;
  minute: number;
  second: number;
  offsetMinutes: number;
}

/** The instant a SigV2 date header names, or undefined when it is not a date signet accepts. */
export function parseHttpDate(value: string): Date | undefined {
  const fields = matchFields(value.trim());
  if (!fields) return undefined;
  return toDate(fields);
}

function matchFields(v: string): Fields | undefined {
  let m = RFC1123.exec(v);
  if (m) return fields(+m[3], monthIndex(m[2]), +m[1], +m[4], +m[5], +m[6], zoneOffset(m[7]));
  m = RFC850.exec(v);
  if (m) {
    const yy = +m[3];
    return fields(yy < 50 ? 2000 + yy : 1900 + yy, monthIndex(m[2]), +m[1], +m[4], +m[5], +m[6], 0);
  }
  m = ASCTIME.exec(v);
  if (m) return fields(+m[6], monthIndex(m[1]), +m[2], +m[3], +m[4], +m[5], 0);
  m = ISO_BASIC.exec(v);
  if (m) return fields(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], 0);
  return undefined;
}

function fields(year: number, month: number, day: number, hour: number, minute: number, second: number, offsetMinutes: number): Fields | undefined {
  if (month < 0) return undefined;
  return { year, month, day, hour, minute, second, offsetMinutes };
}

function monthIndex(name: string): number {
  return MONTHS.indexOf(name.toLowerCase());
}

function zoneOffset(zone: string): number {
  if (!/^[+-]/.test(zone)) return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5)));
}

/** Rejects out-of-range fields (31 Feb, 24:00, 60 seconds) by checking that they round-trip. */
function toDate(f: Fields): Date | undefined {
  if (f.hour > 23 || f.minute > 59 || f.second > 59) return undefined;
  const utc = Date.UTC(f.year, f.month, f.day, f.hour, f.minute, f.second);
  const check = new Date(utc);
  if (check.getUTCFullYear() !== f.year || check.getUTCMonth() !== f.month || check.getUTCDate() !== f.day) return undefined;
  return new Date(utc - f.offsetMinutes * 60000);
}

/** `YYYY-MM-DDTHH:MM:SSZ`, the format of S3's Expires and ServerTime error elements. */
export function formatIsoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
