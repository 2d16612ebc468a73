/**
 * The report as numbered, readable text (the JSON form is the report itself):
 *
 *   GET http://127.0.0.1:9000/pre/hello.txt?X-Amz-Algorithm=…
 *   server: region us-east-1, time 2025-01-01T00:00:00Z
 *
 *   1. detect: ok
 *      SigV4, presigned URL
 *      kind: sigv4-query
 *   …
 *   7. canonical-request: ok
 *      rebuilt from the request as received: GET /pre/hello.txt
 *      canonicalRequest:
 *        | GET
 *        | /pre/hello.txt
 *   …
 *   verdict: REFUSED, 403 SignatureDoesNotMatch
 *
 * Multi-line values (canonical request, string to sign) are laid out one line per line behind
 * "| ", so an empty line or a trailing space stays visible.
 */
import type { VerificationStep } from '../auth/types.ts';
import type { ExplainReport, Hint } from './types.ts';

/** Error elements shown in full elsewhere (the canonical request and string to sign steps) */
const LONG_ELEMENTS = new Set(['StringToSign', 'StringToSignBytes', 'CanonicalRequest', 'CanonicalRequestBytes']);

export function renderExplainText(report: ExplainReport): string {
  const out: string[] = [];
  out.push(`${report.request.method} ${report.request.url}`);
  out.push(`  Host: ${report.request.host}, ${report.request.addressing === 'virtual' ? 'virtual-hosted' : 'path-style'}${target(report)}`);
  const shift = report.server.clockOffsetMs ? `, shifted ${report.server.clockOffsetMs} ms by signet clock` : '';
  out.push(`  server: region ${report.server.region}, time ${report.server.now}${shift}`);
  out.push('');
  report.steps.forEach((step, i) => out.push(...renderStep(step, i + 1)));
  out.push('');
  out.push(...renderVerdict(report));
  if (report.hints.length > 0) {
    out.push('');
    out.push('hints:');
    for (const hint of report.hints) out.push(...renderHint(hint));
  }
  return `${out.join('\n')}\n`;
}

function target(report: ExplainReport): string {
  const { bucket, key } = report.request;
  if (bucket === undefined) return ', no bucket';
  return key === undefined ? `, bucket "${bucket}"` : `, bucket "${bucket}", key "${key}"`;
}

function renderStep(step: VerificationStep, n: number): string[] {
  const lines = [`${n}. ${step.name}: ${step.ok ? 'ok' : 'FAILED'}`, `   ${step.summary}`];
  for (const [name, value] of Object.entries(step.detail)) {
    if (value.includes('\n')) {
      lines.push(`   ${name}:`);
      for (const line of value.split('\n')) lines.push(`     | ${line}`);
    } else {
      lines.push(`   ${name}: ${value}`);
    }
  }
  return lines;
}

function renderVerdict(report: ExplainReport): string[] {
  const op = report.operation ? ` (${report.operation})` : '';
  if (report.verdict === 'accepted' || !report.error) return [`verdict: ACCEPTED${op}`];
  const { status, code, message, elements } = report.error;
  const lines = [`verdict: REFUSED${op}, the server answers ${status} ${code}`, `   Message: ${message}`];
  for (const [name, value] of Object.entries(elements)) {
    lines.push(`   ${name}: ${LONG_ELEMENTS.has(name) ? '(as in the steps above)' : value}`);
  }
  return lines;
}

function renderHint(hint: Hint): string[] {
  const lines = [`- [${hint.id}] ${hint.message}`];
  for (const d of hint.differences ?? []) {
    lines.push(`    line ${d.line} signed: ${d.signed}`);
    lines.push(`    line ${d.line} sent:   ${d.sent}`);
  }
  return lines;
}
