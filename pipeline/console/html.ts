// Server-rendered HTML with escaping by construction: every value interpolated into `html`…`` is
// escaped unless it is itself an Html fragment, so a version label, a user name or a log line can
// never become markup. The layout links the console's one stylesheet and (on the job page only) its one
// static script; the Content-Security-Policy (server.ts) forbids anything inline.

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function part(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(part).join('');
  if (v === undefined || v === null || v === false) return '';
  return escapeHtml(String(v));
}

/** A fragment: literal parts as written, every `${value}` escaped (arrays joined, nullish and false dropped). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += part(v) + strings[i + 1]!;
  });
  return new Html(out);
}

export interface Viewer {
  /** Signed-in user name, if any. */
  user?: string;
  /** CSRF token of the session, for the forms on the page. */
  csrf: string;
}

/** The hidden field every state-changing form carries. */
export function csrfField(viewer: Viewer): Html {
  return html`<input type="hidden" name="_csrf" value="${viewer.csrf}">`;
}

/** A one-button form posting to `action` (approve, reject, resume, rollback, cancel, sign out). */
export function postButton(viewer: Viewer, action: string, label: string, id: string, extra: Html = html``): Html {
  return html`<form method="post" action="${action}" class="inline" id="${id}">${csrfField(viewer)}${extra}<button type="submit" data-test="${id}-button">${label}</button></form>`;
}

export interface PageOptions {
  title: string;
  viewer: Viewer;
  /** `data-page` of <body>, for tests and the end-to-end suite. */
  page: string;
  /** Include the static script (the live job page). */
  script?: boolean;
  /** Reload the page after this many seconds (a result still being computed). */
  refreshSeconds?: number;
}

export function layout(opts: PageOptions, body: Html): string {
  const who = opts.viewer.user
    ? html`<span id="whoami" data-test="whoami">${opts.viewer.user}</span> ${postButton(opts.viewer, '/api/signout', 'Sign out', 'signout')}`
    : html`<a href="/signin" id="signin-link">Sign in</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} · Slipway</title>
${opts.refreshSeconds ? html`<meta http-equiv="refresh" content="${opts.refreshSeconds}">` : ''}
<link rel="stylesheet" href="/static/console.css">
${opts.script ? html`<script src="/static/console.js" defer></script>` : ''}
</head>
<body data-page="${opts.page}">
<header><nav><a href="/" id="nav-environments">Environments</a> <a href="/deploy" id="nav-deploy">Deploy</a></nav><div class="who">${who}</div></header>
<main>
<h1>${opts.title}</h1>
${body}
</main>
</body>
</html>
`.text;
}

/** `2025-03-01T10:00:00.000Z` → `2025-03-01 10:00:00Z`, in a <time> element. */
export function when(iso: string | undefined): Html {
  if (!iso) return html`<span class="muted">—</span>`;
  return html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`;
}

/** `sha256:0123…` shortened for tables, the whole digest in the title. */
export function digest(d: string | undefined | null): Html {
  if (!d) return html`<span class="muted">—</span>`;
  const hex = d.replace(/^sha256:/, '');
  return html`<code title="${d}">${hex.slice(0, 12)}</code>`;
}

/** A page of its own for an error: status line and one sentence. */
export function errorPage(viewer: Viewer, status: number, message: string): string {
  return layout({ title: status === 401 ? 'Sign in first' : `Error ${status}`, viewer, page: 'error' }, html`<p id="error" data-test="error" data-status="${status}">${message}</p><p><a href="/">Back to the environments</a></p>`);
}
