// A job's page: its steps as the pipeline reports them, live (server-sent events, followed by the one
// static script), its log, its outcome, a link to the app, and how to resume when it was interrupted.
import { STEPS } from '../../release/deploy';
import { html, layout, postButton, when, type Html, type Viewer } from '../html';
import { stepsOf, type Job, type LogLine, type StepEvent } from '../jobs/job';
import { deploymentLink, urlLink } from './environments';

/** The steps a job's command goes through, in order, before any has run. */
export function expectedSteps(job: Job): string[] {
  switch (job.kind) {
    case 'deploy':
      return [...STEPS];
    case 'approve':
      return ['switch', 'verify'];
    case 'rollback':
      return ['switch'];
    case 'reject':
      return [];
  }
}

const MARK: Record<StepEvent['status'] | 'pending', string> = { pending: '○', started: '▸', ok: '✓', failed: '✗', skipped: '·' };

function stepItem(name: string, s: StepEvent | undefined): Html {
  const status = s?.status ?? 'pending';
  const time = s?.ms !== undefined ? ` ${(s.ms / 1000).toFixed(1)} s` : '';
  const note = s?.result ?? s?.reason;
  return html`<li data-step="${name}" data-status="${status}"><span class="mark">${MARK[status]}</span> <span class="name">${name}</span>${s?.detail ? html` <span class="detail">(${s.detail})</span>` : ''}<span class="time">${time}</span>${note ? html` <span class="note">— ${note}</span>` : ''}</li>`;
}

function title(job: Job): string {
  switch (job.kind) {
    case 'deploy':
      return `${job.resumes ? 'Resume' : 'Deploy'} ${job.artifact?.version ?? ''} to ${job.stack}`;
    case 'approve':
      return `Approve ${job.deployment ?? ''} on ${job.stack}`;
    case 'reject':
      return `Reject ${job.deployment ?? ''} on ${job.stack}`;
    case 'rollback':
      return `Roll back ${job.stack}`;
  }
}

export interface JobPageExtras {
  mayCancel: boolean;
  mayResume: boolean;
  appUrl: string | null;
}

export function jobPage(viewer: Viewer, job: Job, lines: LogLine[], x: JobPageExtras): string {
  const live = job.status === 'running' || job.status === 'queued';
  const seen = new Map(stepsOf(lines).map((s) => [s.name, s]));
  const names = [...expectedSteps(job), ...[...seen.keys()].filter((n) => !expectedSteps(job).includes(n))];
  const state =
    job.status === 'queued'
      ? html`queued since ${when(job.requestedAt)}${job.message ? html` — ${job.message}` : ''}`
      : job.status === 'running'
        ? html`running since ${when(job.startedAt)}`
        : html`${job.status}, ${when(job.endedAt)}`;
  const resume =
    job.status === 'interrupted' && job.deployment && job.kind !== 'reject'
      ? html`<p id="resume-help">Running the same deployment again resumes it after its last successful step: <code>slipway deploy --stack ${job.stack} --artifact ${job.artifact?.ref ?? '…'}</code>.</p>${x.mayResume ? postButton(viewer, `/api/deployments/${job.stack}/${job.deployment}/resume`, 'Resume', 'resume') : ''}`
      : '';
  const body = html`<section id="job" data-job="${job.id}" data-kind="${job.kind}" data-stack="${job.stack}" data-status="${job.status}" data-live="${String(live)}" data-lines="${lines.length}">
<p id="job-summary">Asked by <span data-test="requested-by">${job.requestedBy}</span> at ${when(job.requestedAt)}${job.artifact ? html` · artifact <code>${job.artifact.ref}</code>` : ''}${job.deployment ? html` · deployment ${deploymentLink(job.stack, job.deployment)}` : html` · <span id="deployment-pending">deployment id not known yet</span>`}</p>
<p id="job-state" data-test="job-state" data-status="${job.status}">${state}</p>
${job.status === 'queued' && x.mayCancel ? postButton(viewer, `/api/jobs/${job.id}/cancel`, 'Cancel', 'cancel') : ''}
${names.length ? html`<ol id="steps" data-test="steps">${names.map((n) => stepItem(n, seen.get(n)))}</ol>` : ''}
${live ? '' : html`<div id="outcome" data-test="outcome" data-status="${job.status}"><p>${job.message ?? job.status}</p>${job.status === 'succeeded' && x.appUrl ? html`<p>Open the app: ${urlLink(x.appUrl, 'app-link')}</p>` : ''}${resume}</div>`}
<h2>Log</h2>
<ol id="log" data-test="log">${lines.map((l) => html`<li class="${l.progress ? 'progress' : 'text'}">${l.text}</li>`)}</ol>
<p class="muted" id="command">The command: <code>slipway ${job.kind} --stack ${job.stack} …</code> run by the console as ${job.requestedBy}${job.pid ? `, pid ${job.pid}` : ''}${job.exitCode !== undefined && job.exitCode !== null ? `, exit ${job.exitCode}` : ''}.</p>
</section>`;
  return layout({ title: title(job), viewer, page: 'job', script: live }, body);
}
