// The deploy pages: pick a version and an environment, then see what the deployment will do — the plan
// diff of the release change and the pipeline's steps — before confirming it.
import type { KnownArtifact } from '../artifacts';
import { csrfField, digest, html, layout, type Viewer } from '../html';
import type { ReleasePlan } from '../releasePlan';
import type { StackOverview } from '../state';

export interface StackChoice {
  stack: string;
  target?: string;
  mayDeploy: boolean;
}

function artifactLabel(a: KnownArtifact): string {
  const where = a.source === 'local' ? `local image, built ${a.at.slice(0, 19).replace('T', ' ')}` : `deployed to ${a.stacks.join(', ')}`;
  return `${a.version} — ${a.digest.replace(/^sha256:/, '').slice(0, 12)} — ${where}`;
}

export function deployFormPage(viewer: Viewer, stacks: StackChoice[], artifacts: KnownArtifact[], selected: string | undefined, problem?: string): string {
  const allowed = stacks.filter((s) => s.mayDeploy);
  const body = html`<form method="get" action="/deploy/review" id="deploy-form">
<p><label for="stack">Environment</label>
<select name="stack" id="stack" required>${allowed.map((s) => html`<option value="${s.stack}"${s.stack === selected ? html` selected` : ''}>${s.stack}${s.target ? ` (${s.target})` : ''}</option>`)}</select></p>
<p><label for="artifact">Version</label>
<select name="artifact" id="artifact" required>${artifacts.map((a) => html`<option value="${a.ref}" data-version="${a.version}" data-source="${a.source}">${artifactLabel(a)}</option>`)}</select></p>
<p><button type="submit" id="review-deploy" data-test="review-deploy">Show what it will do</button></p>
</form>
${allowed.length === 0 ? html`<p class="warn" id="no-stacks">You may not deploy to any stack (console configuration: deployers).</p>` : ''}
${artifacts.length === 0 ? html`<p class="warn" id="no-artifacts">No versions known: no ledger records a deployment and no local image carries the version label. Build one with <code>slipway build app</code>.</p>` : ''}
${problem ? html`<p class="muted" id="artifacts-problem">Local images not listed: ${problem}.</p>` : ''}
<p class="muted">Local images (Docker image IDs) deploy to Docker stacks; AWS stacks take images pushed to their registry.</p>`;
  return layout({ title: 'Deploy', viewer, page: 'deploy' }, body);
}

export interface ReviewInput {
  overview: StackOverview;
  artifact: { ref: string; version: string; digest: string };
  /** Undefined while it is being computed: the page says so and reloads itself. */
  plan: ReleasePlan | undefined;
  slot: string;
  replaces: string | null;
  /** Jobs queued or running for the stack now (the new one waits behind them). */
  ahead: number;
}

export function reviewPage(viewer: Viewer, r: ReviewInput): string {
  const o = r.overview;
  const c = o.config!;
  const from = o.live!;
  const gate = c.promotion.approval === 'manual' ? html`<li>wait for approval by ${c.promotion.approvers.join(' or ')}</li>` : '';
  const body = html`<section id="review" data-stack="${o.stack}" data-version="${r.artifact.version}">
<p id="review-summary">Deploy <strong>${r.artifact.version}</strong> (${digest(r.artifact.digest)}) to <strong>${o.stack}</strong>: it goes to the idle slot <strong>${r.slot}</strong>${r.replaces ? html` (replacing ${r.replaces})` : ''}, while ${from} keeps serving.</p>
<ol id="pipeline-steps"><li>ensure the environment</li><li>deploy to ${r.slot}, wait until healthy</li><li>smoke-test ${r.slot} on the test URL</li>${gate}<li>switch traffic ${from} → ${r.slot}</li><li>verify for ${c.promotion.bakeSeconds} s; any failure rolls back to ${from}</li></ol>
<h2>Plan diff of the release change</h2>
${planPart(r.plan)}
${r.ahead > 0 ? html`<p class="warn" id="queue-ahead">${r.ahead} job${r.ahead === 1 ? ' is' : 's are'} queued or running for ${o.stack}; this one will wait for ${r.ahead === 1 ? 'it' : 'them'}.</p>` : ''}
${
  r.plan
    ? html`<form method="post" action="/api/deployments" id="confirm-form">${csrfField(viewer)}
<input type="hidden" name="stack" value="${o.stack}"><input type="hidden" name="artifact" value="${r.artifact.ref}"><input type="hidden" name="version" value="${r.artifact.version}">
<button type="submit" id="confirm-deploy" data-test="confirm-deploy">Deploy ${r.artifact.version} to ${o.stack}</button> <a href="/deploy?stack=${o.stack}" id="cancel-deploy">Back</a>
</form>`
    : ''
}
</section>`;
  return layout({ title: `Deploy to ${o.stack}`, viewer, page: 'deploy-review', ...(r.plan ? {} : { refreshSeconds: 1 }) }, body);
}

function planPart(plan: ReleasePlan | undefined) {
  if (!plan) return html`<p id="plan-summary" data-test="plan-summary" data-ok="pending">Planning the release change offline (a few seconds; this page reloads itself until the plan is ready)…</p>`;
  if (!plan.ok) return html`<p id="plan-summary" data-test="plan-summary" data-ok="false">The plan could not be computed:</p><ul id="plan-errors" class="error">${plan.errors.map((e) => html`<li>${e}</li>`)}</ul>`;
  return html`<p id="plan-summary" data-test="plan-summary" data-ok="true">${plan.summary}</p>
<pre id="plan-diff" data-test="plan-diff">${plan.lines.join('\n') || '(no resource changes)'}</pre>
<p class="muted">Planned offline, the same way <code>slipway plan --diff</code> plans.</p>`;
}
