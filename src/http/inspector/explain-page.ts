/**
 * The inspector's "explain" form: a pasted URL, method and headers go through the same
 * explainRequest() as `signet explain` (src/explain), against this server's tokens, region and
 * clock, and every step is shown. The canonical request and the string to sign are laid out
 * line by line; when a hint found the variant of the request that the client really signed
 * (another Host, the other addressing style, another method…), the lines that differ between
 * what was signed and what was sent are marked.
 *
 * The pasted URL is posted in the form body, so it never lands in the request log (which keeps
 * paths only) nor in the browser's history.
 */
import { explainDepsFrom } from '../../explain-deps.ts';
import type { Request, Response } from 'express';
import type { AppDeps } from '../s3-handler.ts';
import { explainRequest, redactExpectedSignatures } from '../../explain/explain.ts';
import { ExplainInputError, parseHeaderLine } from '../../explain/request.ts';
import type { ExplainInput, ExplainReport, Hint } from '../../explain/types.ts';
import type { LoggedRequest } from '../../log/request-log.ts';
import { html, page, raw, sendPage, type SafeHtml } from './html.ts';
import { renderDetailValue, renderSteps, type StepMarks } from './pages.ts';

export const EXPLAIN_METHODS = ['GET', 'PUT', 'HEAD', 'DELETE', 'POST'];

interface FormValues {
  url: string;
  method: string;
  headers: string;
}

function formValues(body: Record<string, unknown> | undefined): FormValues {
  const text = (name: string) => (typeof body?.[name] === 'string' ? (body[name] as string) : '');
  return { url: text('url').trim(), method: text('method').trim().toUpperCase() || 'GET', headers: text('headers') };
}

/** 'Name: value' per line, as `signet explain --header`; blank lines are skipped. */
export function parseHeaderLines(text: string): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const header = parseHeaderLine(line);
    if (header) out.push(header);
  }
  return out;
}

function renderForm(values: FormValues): SafeHtml {
  const methods = EXPLAIN_METHODS.includes(values.method) ? EXPLAIN_METHODS : [...EXPLAIN_METHODS, values.method];
  return html`<form method="post" action="/_signet/explain" class="explain" id="explain-form">
<label for="explain-url">URL (presigned, or the request's URL)</label>
<textarea id="explain-url" name="url" rows="4" spellcheck="false" placeholder="http://127.0.0.1:9000/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&amp;…">${values.url}</textarea>
<label for="explain-method">Method</label>
<select id="explain-method" name="method">${methods.map((m) => html`<option${m === values.method ? raw(' selected') : ''}>${m}</option>`)}</select>
<label for="explain-headers">Headers sent, one per line (<code>Name: value</code>; an Authorization header for header-signed requests)</label>
<textarea id="explain-headers" name="headers" rows="4" spellcheck="false" placeholder="Content-Type: image/png">${values.headers}</textarea>
<button type="submit">Explain</button>
<p class="muted small">Checked against this server's tokens, region and clock, exactly as the server would check it. Nothing is stored: the URL is not logged.</p>
</form>`;
}

/** Lines to mark in each step, from the hints that found what the client signed. */
export function marksFor(report: ExplainReport): Record<number, StepMarks> {
  const lines = new Set<number>();
  for (const hint of report.hints) for (const d of hint.differences ?? []) lines.add(d.line);
  if (lines.size === 0) return {};
  // The differences are in the canonical request (SigV4) or else in the string to sign (SigV2).
  const canonical = report.steps.findIndex((s) => s.name === 'canonical-request' && s.detail.canonicalRequest !== undefined);
  if (canonical !== -1) return { [canonical]: { canonicalRequest: lines } };
  const sts = report.steps.findIndex((s) => s.name === 'string-to-sign' && s.detail.stringToSign !== undefined);
  return sts === -1 ? {} : { [sts]: { stringToSign: lines } };
}

function renderHint(hint: Hint): SafeHtml {
  return html`<div class="hint" data-hint="${hint.id}"><strong>Hint</strong> (${hint.id}): ${hint.message}
${hint.differences && hint.differences.length
  ? html`<table class="small"><thead><tr><th>line</th><th>signed by the client</th><th>as the server received it</th></tr></thead><tbody>${hint.differences.map(
      (d) => html`<tr><td class="num">${d.line}</td><td class="mono">${d.signed}</td><td class="mono">${d.sent}</td></tr>`,
    )}</tbody></table>`
  : ''}</div>`;
}

export function renderReport(report: ExplainReport): SafeHtml {
  const r = report.request;
  const accepted = report.verdict === 'accepted';
  const error = report.error;
  const elements = error ? Object.entries(error.elements) : [];
  return html`<section id="explain-result">
<div class="verdict ${accepted ? 'accepted' : 'refused'}" id="explain-verdict">${
    accepted
      ? html`Accepted${report.operation ? html` &mdash; the server would run ${report.operation}` : ''}`
      : html`Refused: ${error ? html`${error.status} ${error.code} &mdash; ${error.message}` : 'refused'}`
  }</div>
<dl class="detail">
<dt>request</dt><dd class="mono">${r.method} ${r.rawPath}</dd>
<dt>Host</dt><dd class="mono">${r.host}</dd>
<dt>addressing</dt><dd>${r.addressing}${r.bucket !== undefined ? html`, bucket <span class="mono">${r.bucket}</span>` : ''}${r.key !== undefined ? html`, key <span class="mono">${r.key}</span>` : ''}</dd>
<dt>mechanism</dt><dd>${report.mechanism}${report.accessKeyId ? html`, access key id <span class="mono">${report.accessKeyId}</span>` : ''}</dd>
<dt>server</dt><dd>region <span class="mono">${report.server.region}</span>, now <span class="mono">${report.server.now}</span>${report.server.clockOffsetMs ? html` (clock shifted by ${report.server.clockOffsetMs} ms)` : ''}</dd>
</dl>
${report.hints.length ? html`<h2>Hints</h2>${report.hints.map(renderHint)}` : ''}
<h2>Steps</h2>
${renderSteps(report.steps, marksFor(report))}
${elements.length
  ? html`<h2>The error the server would answer</h2><dl class="detail">${elements.map(([k, v]) => html`<dt>${k}</dt><dd>${renderDetailValue(v)}</dd>`)}</dl>`
  : ''}
</section>`;
}

export function explainPage(req: Request, res: Response, deps: AppDeps, body: Record<string, unknown> | undefined): void {
  const values = formValues(body);
  if (body === undefined || values.url === '') {
    const note = body !== undefined ? html`<p class="verdict refused">Paste a URL to explain.</p>` : '';
    return sendPage(res, page('Explain a request', html`<h1>Explain a request</h1>${note}${renderForm(values)}`), undefined, body === undefined ? 200 : 400);
  }
  let report: ExplainReport;
  try {
    const input: ExplainInput = { url: values.url, method: values.method, headers: parseHeaderLines(values.headers) };
    // The expected signature of an edited request is a working signature: the page never shows
    // it (the CLI may: its user can read the data directory's secrets anyway).
    report = redactExpectedSignatures(explainRequest(input, explainDepsFrom(deps.storage.meta, {
      now: deps.clock.now(),
      region: deps.config.region,
      clockOffsetMs: deps.clock.offsetMs?.() ?? 0,
    })));
  } catch (error) {
    if (!(error instanceof ExplainInputError)) throw error;
    const message = html`<p class="verdict refused" id="explain-verdict">${error.message}</p>`;
    return sendPage(res, page('Explain a request', html`<h1>Explain a request</h1>${message}${renderForm(values)}`), undefined, 400);
  }
  sendPage(res, page('Explain a request', html`<h1>Explain a request</h1>${renderForm(values)}${renderReport(report)}`));
  void req;
}

/**
 * Hints for a logged refusal. The log keeps no query and no headers (they carry signatures),
 * so explain cannot re-run the request; the page points to the form instead.
 */
export function hintsForLoggedRequest(r: LoggedRequest): SafeHtml {
  if (r.status < 400 || !r.steps?.some((s) => !s.ok)) return html``;
  return html`<div class="hint"><strong>Why?</strong> The log keeps no query string or headers (they carry the signature), so it cannot re-run this request.
Paste the URL the client used into <a href="/_signet/explain">Explain a request</a> to see what the client signed, with hints.</div>`;
}
