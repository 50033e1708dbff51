// Smaller pages: sign-in, a stack's history, and the rollback confirmation.
import { idleSlotOf } from '../../../components/slots';
import { rollbackTargetProblem, type DeploymentSummary, type LiveRelease } from '../../ledger/derive';
import { csrfField, digest, html, layout, when, type Viewer } from '../html';
import type { StackOverview } from '../state';
import { deploymentLink } from './environments';

export function signInPage(viewer: Viewer, next: string | undefined, proxyHeader: string | undefined, error?: string): string {
  const body = html`${error ? html`<p class="error" id="signin-error" data-test="error">${error}</p>` : ''}<form method="post" action="/api/signin" id="signin-form">${csrfField(viewer)}
${next ? html`<input type="hidden" name="next" value="${next}">` : ''}
<p><label for="name">Name or e-mail</label> <input type="text" name="name" id="name" autocomplete="username" required maxlength="254"></p>
<p><label for="password">Password</label> <input type="password" name="password" id="password" autocomplete="current-password" required maxlength="1024"></p>
<p><button type="submit" id="signin" data-test="signin">Sign in</button></p>
</form>
${proxyHeader ? html`<p class="muted">Behind the company proxy you are signed in by it (${proxyHeader}).</p>` : ''}
${viewer.user ? html`<p id="signed-in-as">Signed in as ${viewer.user}.</p>` : ''}`;
  return layout({ title: 'Sign in', viewer, page: 'signin' }, body);
}

/** Most deployments a history page lists. */
export const HISTORY_PAGE_MAX = 200;

function statusText(d: DeploymentSummary): string {
  if (d.kind === 'recovery' || d.kind === 'drill') return `${d.kind === 'drill' ? 'drill' : 'rebuild'} ${d.recovery ? `${d.recovery.mode}, ${(d.recovery.ms / 1000).toFixed(1)} s` : d.status}`;
  if (d.kind === 'rollback') return d.status === 'rolled-back' ? `rollback to ${d.slot ?? '?'}` : `rollback ${d.status}`;
  return d.status;
}

export function historyPage(viewer: Viewer, stack: string, newestFirst: DeploymentSummary[], live: LiveRelease | undefined): string {
  const shown = newestFirst.slice(0, HISTORY_PAGE_MAX);
  const body = html`<p id="live-now" data-test="live-now">${
    live
      ? html`Live: ${live.deployment.version || '?'} (${digest(live.deployment.digest)}) in slot ${live.deployment.slot ?? '?'} since ${when(live.since)}, deployment ${deploymentLink(stack, live.deployment.id)}${live.approvedBy.length ? html`, approved by ${live.approvedBy.join(', ')}` : ''}`
      : 'Nothing live recorded.'
  }</p>
<p class="muted" id="history-count">${shown.length < newestFirst.length ? `Newest ${shown.length} of ${newestFirst.length} deployments (\`slipway history --stack ${stack}\` lists all).` : `${newestFirst.length} deployment${newestFirst.length === 1 ? '' : 's'}, newest first.`}</p>
<table id="history" data-test="history"><thead><tr><th>Deployment</th><th>Started (UTC)</th><th>Version</th><th>Digest</th><th>Status</th><th>By</th><th>Approved by</th></tr></thead>
<tbody>${shown.map(
    (d) =>
      html`<tr data-deployment="${d.id}" data-status="${d.status}"><td>${deploymentLink(stack, d.id)}</td><td>${when(d.startedAt)}</td><td>${d.version || '?'}</td><td>${digest(d.digest)}</td><td>${statusText(d)}</td><td>${d.actor || '?'}</td><td>${d.approvals.map((a) => a.by).join(', ') || '—'}</td></tr>`,
  )}</tbody></table>`;
  return layout({ title: `History of ${stack}`, viewer, page: 'history' }, body);
}

export function rollbackPage(viewer: Viewer, o: StackOverview): string {
  const live = o.live!;
  const to = idleSlotOf(live);
  const target = o.slots![to];
  // The pipeline refuses the same; the page says so first instead of offering the button.
  const never = target.version && target.digest ? rollbackTargetProblem(o.ledger.deployments, to, target.digest) : undefined;
  const body = never
    ? html`<p class="warn" id="rollback-impossible">${never}.</p>`
    : target.version
    ? html`<p id="rollback-summary">Switch production traffic on <strong>${o.stack}</strong> from ${live} (${o.slots![live].version ?? 'empty'}) back to ${to} (<strong>${target.version}</strong>, ${digest(target.digest)}). Nothing is rebuilt or redeployed; ${live} stays warm.</p>
<form method="post" action="/api/stacks/${o.stack}/rollback" id="rollback-form">${csrfField(viewer)}<button type="submit" id="confirm-rollback" data-test="confirm-rollback">Roll back ${o.stack} to ${target.version}</button> <a href="/">Back</a></form>`
    : html`<p class="warn" id="rollback-impossible">Slot ${to} has no release to roll back to.</p>`;
  return layout({ title: `Roll back ${o.stack}`, viewer, page: 'rollback' }, body);
}
