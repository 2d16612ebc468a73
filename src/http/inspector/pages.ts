/**
 * The inspector's pages, rendered on the server from the data directory: overview (buckets,
 * tokens, live request log), a bucket browser, one logged request with its steps, and the
 * shared rendering of verification steps (also used by the explain page).
 */
import type { VerificationStep } from '../../auth/types.ts';
import type { TokenSummary } from '../../access/types.ts';
import type { LoggedRequest } from '../../log/request-log.ts';
import type { BucketRecord, ListObjectsPage } from '../../storage/types.ts';
import { html, link, raw, type SafeHtml } from './html.ts';

// ---------------------------------------------------------------- steps

/**
 * A multi-line value (canonical request, string to sign) as numbered lines. Lines listed in
 * `differs` (1-based) are marked.
 */
export function renderLines(text: string, differs: ReadonlySet<number> = new Set()): SafeHtml {
  const lines = text.split('\n');
  return html`<ol class="lines">${lines.map(
    (line, i) => html`<li${differs.has(i + 1) ? raw(' class="differs" title="differs"') : ''}>${line === '' ? raw('&#8203;') : line}</li>`,
  )}</ol>`;
}

/** 1-based numbers of the lines where `a` and `b` differ (compared line by line). */
export function differingLines(a: string, b: string): Set<number> {
  const left = a.split('\n');
  const right = b.split('\n');
  const out = new Set<number>();
  for (let i = 0; i < Math.max(left.length, right.length); i++) if (left[i] !== right[i]) out.add(i + 1);
  return out;
}

export function renderDetailValue(value: string, differs?: ReadonlySet<number>): SafeHtml {
  if (value.includes('\n')) return renderLines(value, differs);
  return html`<span class="mono">${value}</span>`;
}

export interface StepMarks {
  /** detail field name -> differing line numbers, e.g. { canonicalRequest: {3} } */
  [field: string]: ReadonlySet<number>;
}

export function renderSteps(steps: readonly VerificationStep[], marks: Record<number, StepMarks> = {}): SafeHtml {
  return html`<ol class="steps">${steps.map((step, i) => {
    const entries = Object.entries(step.detail ?? {});
    return html`<li class="${step.ok ? 'ok' : 'fail'}" data-step="${step.name}">
<span class="mark ${step.ok ? 'ok' : 'fail'}">${step.ok ? 'ok' : 'FAIL'}</span> <strong>${step.name}</strong>: ${step.summary}
${entries.length ? html`<dl class="detail">${entries.map(([name, value]) => html`<dt>${name}</dt><dd>${renderDetailValue(String(value), marks[i]?.[name])}</dd>`)}</dl>` : ''}
</li>`;
  })}</ol>`;
}

// ---------------------------------------------------------------- request log

export function isRefused(r: Pick<LoggedRequest, 'status'>): boolean {
  return r.status >= 400;
}

/** hh:mm:ss.mmm in UTC, the full time in the title. */
function shortTime(iso: string): string {
  return iso.length >= 23 ? iso.slice(11, 23) : iso;
}

function failingStep(r: LoggedRequest): VerificationStep | undefined {
  return r.steps?.find((s) => !s.ok);
}

/** The rows of the live log table (also served alone, for the page's polling script). */
export function renderRequestRows(rows: readonly LoggedRequest[]): SafeHtml {
  if (rows.length === 0) return html`<tr><td colspan="9" class="muted">No requests yet. Requests your clients send to this server appear here.</td></tr>`;
  return html`${rows.map((r) => {
    const failed = failingStep(r);
    const detailHref = link(`/request/${encodeURIComponent(r.requestId)}`);
    return html`<tr class="${isRefused(r) ? 'refused' : 'ok'}" data-request-id="${r.requestId}">
<td class="mono" title="${r.time}">${shortTime(r.time)}</td>
<td>${r.method}</td>
<td class="mono">${r.path}</td>
<td class="status num"><a href="${detailHref}">${r.status}</a></td>
<td>${r.errorCode ? html`<a href="${detailHref}" class="open-steps">${r.errorCode}</a>` : ''}</td>
<td class="small">${r.authKind ?? ''}${r.accessKeyId ? html`<br><span class="mono">${r.accessKeyId}</span>` : ''}</td>
<td class="small">${r.operation ?? ''}</td>
<td class="num">${r.durationMs}</td>
<td class="small">${failed ? html`<strong>${failed.name}</strong>: ${failed.summary}` : ''}</td>
</tr>`;
  })}`;
}

function requestsTable(rows: readonly LoggedRequest[]): SafeHtml {
  return html`<table id="requests-table"><thead><tr><th>time (UTC)</th><th>method</th><th>path</th><th>status</th><th>S3 error</th><th>auth</th><th>operation</th><th>ms</th><th>failed step</th></tr></thead>
<tbody id="log-rows">${renderRequestRows(rows)}</tbody></table>`;
}

/** Polls the rows every 2 s while "live" is ticked; no framework, no other origin. */
export const LOG_POLLING_SCRIPT = `
(function(){
  var body=document.getElementById('log-rows'),live=document.getElementById('live'),refused=document.getElementById('refused-only');
  if(!body)return;
  function refresh(){
    var url='/_signet/fragments/requests?limit=100'+(refused&&refused.checked?'&refused=1':'');
    fetch(url,{cache:'no-store',credentials:'same-origin'}).then(function(r){return r.ok?r.text():null}).then(function(t){if(t!==null)body.innerHTML=t}).catch(function(){});
  }
  setInterval(function(){if(!live||live.checked)refresh()},2000);
  if(refused)refused.addEventListener('change',refresh);
  body.addEventListener('click',function(e){
    if(e.target.closest('a'))return;
    var tr=e.target.closest('tr[data-request-id]');
    if(tr)location.href='/_signet/request/'+encodeURIComponent(tr.getAttribute('data-request-id'));
  });
})();`;

// ---------------------------------------------------------------- overview

export interface OverviewInput {
  buckets: BucketRecord[];
  tokens: TokenSummary[];
  now: Date;
  region: string;
  requests: LoggedRequest[] | undefined;
  refusedOnly: boolean;
}

export function tokenStatus(t: TokenSummary, now: Date): string {
  if (t.revokedAt) return `revoked ${t.revokedAt}`;
  if (t.expiresAt && Date.parse(t.expiresAt) <= now.getTime()) return `expired ${t.expiresAt}`;
  return 'active';
}

export function renderOverview(input: OverviewInput): SafeHtml {
  const { buckets, tokens, now } = input;
  return html`<h1>Overview</h1>
<p class="muted">Region <span class="mono">${input.region}</span>, server time <span class="mono">${now.toISOString()}</span>.</p>
<h2 id="buckets">Buckets (${buckets.length})</h2>
${buckets.length === 0
  ? html`<p class="muted">No buckets yet.</p>`
  : html`<table><thead><tr><th>bucket</th><th>created</th></tr></thead><tbody>${buckets.map(
      (b) => html`<tr><td><a href="${link('/browse', { bucket: b.name })}">${b.name}</a></td><td class="mono">${b.createdAt}</td></tr>`,
    )}</tbody></table>`}
<h2 id="tokens">Tokens (${tokens.length})</h2>
<p class="muted small">Secrets are never shown here; <code>signet token create</code> prints a new token's secret once.</p>
<table><thead><tr><th>access key id</th><th>name</th><th>access</th><th>buckets</th><th>prefix</th><th>expires</th><th>status</th></tr></thead><tbody>${tokens.map(
    (t) => html`<tr class="${tokenStatus(t, now) === 'active' ? 'ok' : 'refused'}"><td class="mono">${t.accessKeyId}</td><td>${t.name}${t.root ? html` <span class="muted">(root)</span>` : ''}</td><td>${t.access}</td><td>${t.buckets.length ? t.buckets.join(', ') : html`<span class="muted">all</span>`}</td><td class="mono">${t.prefix ?? ''}</td><td class="mono">${t.expiresAt ?? 'never'}</td><td>${tokenStatus(t, now)}</td></tr>`,
  )}</tbody></table>
<h2 id="requests">Requests</h2>
${input.requests === undefined
  ? html`<p class="muted">This server keeps no request log.</p>`
  : html`<p class="small"><label><input type="checkbox" id="live" checked> live (refreshes every 2 s)</label>
 &nbsp; <label><input type="checkbox" id="refused-only"${input.refusedOnly ? raw(' checked') : ''}> refusals and errors only</label>
 &nbsp; <span class="muted">Newest first. Click a row to see its verification steps. Signatures are never logged.</span></p>
${requestsTable(input.requests)}`}`;
}

// ---------------------------------------------------------------- browse

export interface BrowseInput {
  bucket: string;
  prefix: string;
  delimiter: string;
  after: string;
  page: ListObjectsPage;
}

function crumbs(bucket: string, prefix: string, delimiter: string): SafeHtml {
  const parts: SafeHtml[] = [html`<a href="${link('/browse', { bucket })}">${bucket}</a>`];
  if (delimiter && prefix) {
    let acc = '';
    for (const part of prefix.split(delimiter).filter((p, i, all) => p !== '' || i < all.length - 1)) {
      acc += part + delimiter;
      parts.push(html` ${delimiter} <a href="${link('/browse', { bucket, prefix: acc, delimiter })}">${part}</a>`);
    }
  } else if (prefix) {
    parts.push(html` (prefix <span class="mono">${prefix}</span>)`);
  }
  return html`<p class="crumbs">${parts}</p>`;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

export function renderBrowse(input: BrowseInput): SafeHtml {
  const { bucket, prefix, delimiter, page } = input;
  const rows = [
    ...page.commonPrefixes.map(
      (p) => html`<tr><td class="mono">&#128193; <a href="${link('/browse', { bucket, prefix: p, delimiter })}">${p.slice(prefix.length)}</a></td><td></td><td></td><td></td><td></td></tr>`,
    ),
    ...page.objects.map(
      (o) => html`<tr><td class="mono">${o.key.slice(prefix.length)}</td><td class="num" title="${o.size} bytes">${formatSize(o.size)}</td><td class="mono small">${o.lastModified}</td><td class="small">${o.metadata.contentType ?? ''}</td><td><a href="${link('/download', { bucket, key: o.key })}" download>download</a></td></tr>`,
    ),
  ];
  return html`<h1>Bucket <span class="mono">${bucket}</span></h1>
${crumbs(bucket, prefix, delimiter)}
<form method="get" action="/_signet/browse" class="small"><input type="hidden" name="bucket" value="${bucket}">
prefix <input type="text" name="prefix" value="${prefix}" size="30"> delimiter <input type="text" name="delimiter" value="${delimiter}" size="3">
<button type="submit">list</button></form>
${rows.length === 0
  ? html`<p class="muted">No objects${prefix ? html` under <span class="mono">${prefix}</span>` : ''}.</p>`
  : html`<table><thead><tr><th>name</th><th>size</th><th>last modified</th><th>content type</th><th></th></tr></thead><tbody>${rows}</tbody></table>`}
${page.isTruncated && page.nextAfter !== undefined
  ? html`<p><a href="${link('/browse', { bucket, prefix, delimiter, after: page.nextAfter })}">next page &rarr;</a></p>`
  : ''}
<p class="muted small">Downloads are served by the inspector itself (this machine only), without a signature.</p>`;
}

// ---------------------------------------------------------------- one request

export function renderRequest(r: LoggedRequest, hints: SafeHtml): SafeHtml {
  const fields: Array<[string, string | number | null]> = [
    ['request id', r.requestId],
    ['time', r.time],
    ['method', r.method],
    ['path', r.path],
    ['bucket', r.bucket],
    ['key', r.key],
    ['auth', r.authKind],
    ['access key id', r.accessKeyId],
    ['operation', r.operation],
    ['status', r.status],
    ['S3 error code', r.errorCode],
    ['duration', `${r.durationMs} ms`],
    ['bytes in / out', `${r.bytesIn} / ${r.bytesOut}`],
  ];
  const failed = failingStep(r);
  return html`<h1>${r.method} <span class="mono">${r.path}</span></h1>
<div class="verdict ${isRefused(r) ? 'refused' : 'accepted'}">${r.status}${r.errorCode ? ` ${r.errorCode}` : ''}${failed ? html` &mdash; failed at <em>${failed.name}</em>: ${failed.summary}` : ''}</div>
<dl class="detail">${fields.filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => html`<dt>${k}</dt><dd class="mono">${String(v)}</dd>`)}</dl>
${hints}
<h2>Verification steps</h2>
${r.steps && r.steps.length
  ? renderSteps(r.steps)
  : html`<p class="muted">No steps were recorded for this request (steps are kept for refusals).</p>`}
<p class="muted small">Signatures are redacted in the log. To see the signature the server expected, paste the full URL into <a href="/_signet/explain">Explain a request</a>.</p>`;
}
