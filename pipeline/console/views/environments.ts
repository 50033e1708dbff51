// The environments page: per stack, what is live and what each slot runs, where to reach it, the last
// deployment, approvals waiting, an interrupted deployment to resume, and the console's jobs for it.
import type { Slot } from '../../../stacks/schema';
import { SLOTS } from '../../../stacks/schema';
import type { DeploymentSummary } from '../../ledger/derive';
import { digest, html, layout, postButton, when, type Html, type Viewer } from '../html';
import type { Job } from '../jobs/job';
import type { StackOverview } from '../state';
import type { CheckResult } from '../../review/lastChecks';

/** An http(s) URL as a link; anything else as text. */
export function urlLink(url: string | null | undefined, id: string): Html {
  if (!url) return html`<span class="muted" id="${id}">unknown (known once a deployment through the console reports it, or from \`slipway status\`)</span>`;
  return /^https?:\/\//.test(url) ? html`<a href="${url}" id="${id}" rel="noreferrer">${url}</a>` : html`<span id="${id}">${url}</span>`;
}

export function deploymentLink(stack: string, id: string): Html {
  return html`<a href="/stacks/${stack}/deployments/${id}" data-test="deployment-link">${id}</a>`;
}

export function jobLine(job: Job): Html {
  const what = job.kind === 'deploy' ? `deploy ${job.artifact?.version ?? ''}${job.resumes ? ' (resume)' : ''}` : job.kind === 'rollback' ? 'rollback' : `${job.kind} ${job.deployment ?? ''}`;
  return html`<li data-job="${job.id}" data-status="${job.status}"><a href="/jobs/${job.id}">${job.id}</a> ${what} on ${job.stack}, asked by ${job.requestedBy} — <span class="status status-${job.status}">${job.status}</span>${job.message ? html` · ${job.message}` : ''}</li>`;
}

function slotRow(o: StackOverview, slot: Slot): Html {
  const s = o.slots![slot];
  const live = o.live === slot;
  return html`<tr data-slot="${slot}" data-live="${String(live)}"><th>${slot}${live ? html` <span class="live">live</span>` : ''}</th><td data-test="version">${s.version ?? html`<span class="muted">empty</span>`}</td><td>${digest(s.digest)}</td></tr>`;
}

function lastDeployment(stack: string, d: DeploymentSummary | undefined): Html {
  if (!d) return html`<span class="muted">none recorded</span>`;
  return html`${deploymentLink(stack, d.id)} ${d.kind === 'rollback' ? 'rollback to' : ''} ${d.version || '?'} — <span class="status status-${d.status}">${d.status}</span> by ${d.actor || '?'}, ${when(d.startedAt)}`;
}

function stackSection(viewer: Viewer, o: StackOverview, jobs: Job[], mayDeploy: boolean): Html {
  const head = html`<h2>${o.stack} ${o.target ? html`<span class="tag">${o.target}</span>` : ''} ${o.approval ? html`<span class="tag" data-test="approval">${o.approval === 'manual' ? `approval by ${o.approvers.join(', ') || 'nobody (none listed)'}` : 'automatic promotion'}</span>` : ''}</h2>`;
  if (o.error) return html`<section class="stack" id="stack-${o.stack}" data-test="stack" data-stack="${o.stack}">${head}<p class="error" data-test="stack-error">${o.error}</p></section>`;
  const interrupted = o.interrupted;
  return html`<section class="stack" id="stack-${o.stack}" data-test="stack" data-stack="${o.stack}" data-live-slot="${o.live}">
${head}
<table class="slots" data-test="slots"><tbody>${SLOTS.map((s) => slotRow(o, s))}</tbody></table>
<dl>
<dt>Public URL</dt><dd>${urlLink(o.urls.publicUrl, `public-url-${o.stack}`)}</dd>
<dt>Test URL (idle slot)</dt><dd>${urlLink(o.urls.testUrl, `test-url-${o.stack}`)}</dd>
<dt>Live since</dt><dd>${o.ledger.live ? html`${when(o.ledger.live.since)}${o.ledger.live.approvedBy.length ? html`, approved by ${o.ledger.live.approvedBy.join(', ')}` : ''}` : html`<span class="muted">nothing recorded</span>`}</dd>
<dt>Last deployment</dt><dd data-test="last-deployment">${lastDeployment(o.stack, o.last)}</dd>
<dt>Waiting for approval</dt><dd data-test="pending">${o.pending.length ? o.pending.map((d) => html`${deploymentLink(o.stack, d.id)} ${d.version} (approvers: ${d.gate?.approvers.join(', ') || 'none'}) `) : html`<span class="muted">none</span>`}</dd>
<dt>Parity and drift</dt><dd data-test="checks">${checkLine('parity', o.checks.parity, html`<code>slipway parity ${o.stack} OTHER</code>`)}; ${checkLine('drift', o.checks.drift, html`<code>slipway drift --stack ${o.stack}</code>`)}</dd>
${o.lock ? html`<dt>Deploying now</dt><dd data-test="lock">${o.lock.actor ?? 'someone'} — deployment ${o.lock.deploymentId ?? '?'} (pid ${o.lock.pid ?? '?'} on ${o.lock.host ?? '?'})</dd>` : ''}
</dl>
${interrupted ? html`<div class="warn" data-test="interrupted" id="interrupted-${o.stack}"><p>Deployment ${deploymentLink(o.stack, interrupted.id)} of ${interrupted.version} was interrupted (last step: ${interrupted.steps.at(-1)?.name ?? 'none'}). Running the same deployment again resumes it after its last successful step: <code>slipway deploy --stack ${o.stack} --artifact ${interrupted.artifact}</code></p>${mayDeploy ? postButton(viewer, `/api/deployments/${o.stack}/${interrupted.id}/resume`, 'Resume', `resume-${o.stack}`) : ''}</div>` : ''}
${jobs.length ? html`<h3>Console jobs</h3><ol class="jobs" data-test="queue">${jobs.map(jobLine)}</ol>` : ''}
<p class="actions">${mayDeploy ? html`<a href="/deploy?stack=${o.stack}" data-test="deploy-link" id="deploy-${o.stack}">Deploy…</a> <a href="/stacks/${o.stack}/rollback" data-test="rollback-link" id="rollback-${o.stack}">Roll back…</a> ` : ''}<a href="/stacks/${o.stack}/history" data-test="history-link" id="history-${o.stack}">History</a></p>
</section>`;
}

export function environmentsPage(viewer: Viewer, overviews: StackOverview[], jobsOf: (stack: string) => Job[], mayDeploy: (stack: string) => boolean, recent: Job[]): string {
  const body = html`${overviews.length === 0 ? html`<p>No stack files in stacks/.</p>` : ''}
<div class="stacks">${overviews.map((o) => stackSection(viewer, o, jobsOf(o.stack), mayDeploy(o.stack)))}</div>
<h2>Recent console jobs</h2>
${recent.length ? html`<ol class="jobs" id="recent-jobs">${recent.map(jobLine)}</ol>` : html`<p class="muted" id="recent-jobs">none yet</p>`}`;
  return layout({ title: 'Environments', viewer, page: 'environments' }, body);
}

/** `parity with prod: clean (only declared knobs differ), 2 hours ago`, or how to run it. */
function checkLine(kind: string, r: CheckResult | undefined, how: Html): Html {
  if (!r) return html`${kind}: <span class="muted">not checked</span> (${how})`;
  const against = r.against ? html` with ${r.against}` : '';
  return html`${kind}${against}: <span class="status status-${r.clean ? 'live' : 'failed'}" data-test="check-${kind}">${r.clean ? 'clean' : 'not clean'}</span> (${r.summary}, ${when(r.at)})`;
}
