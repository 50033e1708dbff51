// A deployment as its stack's ledger records it (whoever ran it: the CLI, CI or the console), with the
// decisions it waits for — approve or reject for the stack's approvers — or a resume when interrupted.
import type { DeploymentSummary } from '../../ledger/derive';
import { digest, html, layout, postButton, when, type Viewer } from '../html';
import type { Job } from '../jobs/job';
import { COMMENT_MAX } from '../input';
import { jobLine } from './environments';

export interface DeploymentPageInput {
  stack: string;
  d: DeploymentSummary;
  approvers: string[];
  mayApprove: boolean;
  mayResume: boolean;
  interrupted: boolean;
  jobs: Job[];
}

function decisionForm(viewer: Viewer, stack: string, id: string, kind: 'approve' | 'reject'): ReturnType<typeof html> {
  const field = kind === 'approve' ? 'comment' : 'reason';
  const extra = html`<label for="${kind}-${field}">${kind === 'approve' ? 'Comment' : 'Reason'} (optional)</label> <input type="text" name="${field}" id="${kind}-${field}" maxlength="${COMMENT_MAX}"> `;
  return postButton(viewer, `/api/deployments/${stack}/${id}/${kind}`, kind === 'approve' ? 'Approve' : 'Reject', `${kind}-form`, extra);
}

export function deploymentPage(viewer: Viewer, x: DeploymentPageInput): string {
  const d = x.d;
  const waiting = d.status === 'awaiting-approval';
  const body = html`<section id="deployment" data-deployment="${d.id}" data-stack="${x.stack}" data-status="${d.status}" data-kind="${d.kind}">
<dl>
<dt>Status</dt><dd id="deployment-status" data-test="deployment-status"><span class="status status-${d.status}">${x.interrupted ? 'interrupted' : d.status}</span>${d.reason ? html` — ${d.reason}` : ''}</dd>
<dt>Version</dt><dd data-test="version">${d.version || '?'}</dd>
<dt>Artifact</dt><dd><code>${d.artifact || '?'}</code> ${digest(d.digest)}</dd>
<dt>Commit</dt><dd>${d.commit ?? html`<span class="muted">unknown</span>`}</dd>
<dt>Started by</dt><dd data-test="actor">${d.actor || '?'}, ${when(d.startedAt)}</dd>
<dt>Slot</dt><dd>${d.slot ?? '?'} (live before: ${d.from ?? '?'})</dd>
<dt>Approvals</dt><dd data-test="approvals">${d.approvals.length ? d.approvals.map((a) => html`${a.by} at ${when(a.at)}${a.comment ? html` (“${a.comment}”)` : ''} `) : html`<span class="muted">none</span>`}</dd>
${d.resumes?.length ? html`<dt>Resumed</dt><dd data-test="resumes">${d.resumes.map((r) => html`by ${r.by} at ${when(r.at)} `)}</dd>` : ''}
${d.rejection ? html`<dt>Rejected</dt><dd data-test="rejection">by ${d.rejection.by} at ${when(d.rejection.at)}${d.rejection.comment ? html` (“${d.rejection.comment}”)` : ''}</dd>` : ''}
<dt>Finished</dt><dd>${when(d.finishedAt)}</dd>
</dl>
<h2>Steps</h2>
<table id="deployment-steps"><thead><tr><th>Step</th><th>Result</th><th>Time</th></tr></thead><tbody>${d.steps.map((s) => html`<tr data-step="${s.name}" data-status="${s.status}"><td>${s.name}</td><td>${s.status}</td><td>${(s.ms / 1000).toFixed(1)} s</td></tr>`)}</tbody></table>
${
  waiting
    ? html`<div id="gate" data-test="gate"><p>Waiting since ${when(d.gate?.at)} for approval by ${(d.gate?.approvers ?? x.approvers).join(' or ') || 'nobody (no approvers listed)'}.</p>${
        x.mayApprove ? html`${decisionForm(viewer, x.stack, d.id, 'approve')} ${decisionForm(viewer, x.stack, d.id, 'reject')}` : html`<p class="muted" id="not-approver">Only ${x.approvers.join(', ') || 'the approvers in the stack file'} may approve or reject it.</p>`
      }</div>`
    : ''
}
${
  x.interrupted
    ? html`<div class="warn" id="interrupted"><p>Interrupted: nobody is running it. Running the same deployment again resumes it after its last successful step: <code>slipway deploy --stack ${x.stack} --artifact ${d.artifact}</code></p>${x.mayResume ? postButton(viewer, `/api/deployments/${x.stack}/${d.id}/resume`, 'Resume', 'resume') : ''}</div>`
    : ''
}
${x.jobs.length ? html`<h2>Console jobs</h2><ol class="jobs">${x.jobs.map(jobLine)}</ol>` : ''}
<p><a href="/stacks/${x.stack}/history">History of ${x.stack}</a></p>
</section>`;
  return layout({ title: `Deployment ${d.id}`, viewer, page: 'deployment' }, body);
}
