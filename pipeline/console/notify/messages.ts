// Who is told what by mail, and the words: pure functions from a notice to the mails it calls for.
// The requester hears about ready, failed and awaiting-approval; each approver hears when a deployment
// waits for them. Every value is put on one line and cut (a notice is data from the pipeline, and a
// reason may quote anything a provider said); in HTML every value is escaped, and only http(s) URLs
// become links. A notice holds no secret, and nothing here adds one.
import { clip } from '../../../stacks/show';
import type { DeploymentNotice } from '../events';
import { EMAIL_ADDRESS } from './config';
import { escapeHtml } from '../html';

/** Why this person gets the mail. */
export type Role = 'requester' | 'approver';

export interface Mail {
  /** The user the mail is for, as the console knows them. */
  user: string;
  role: Role;
  /** Their e-mail address, from the console's user list. */
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailPlan {
  mails: Mail[];
  /** One line per person who should have been told but cannot be (no or no usable address). */
  problems: string[];
}

/** Longest value shown in a mail (a reason longer than that is cut, ending in `…`). */
export const MAIL_VALUE_MAX = 500;

/**
 * The mails `notice` calls for. `emailOf` is the console's user list; `app` is the application's
 * name (`shop`) when known, for the subject line.
 */
export function mailsFor(notice: DeploymentNotice, emailOf: (user: string) => string | undefined, app?: string): MailPlan {
  const mails: Mail[] = [];
  const problems: string[] = [];
  const sent = new Set<string>();
  for (const { user, role } of audience(notice)) {
    const who = `${role} ${JSON.stringify(clip(user))}`;
    let address: string | undefined;
    try {
      address = emailOf(user);
    } catch (e) {
      problems.push(`no e-mail address for the ${who}: the user list failed (${clip(e instanceof Error ? e.message : String(e))})`);
      continue;
    }
    if (address === undefined || address === '') {
      problems.push(`no e-mail address for the ${who}; not told`);
      continue;
    }
    if (!EMAIL_ADDRESS.test(address)) {
      problems.push(`the ${who} has ${JSON.stringify(clip(address))}, which is not an e-mail address; not told`);
      continue;
    }
    if (sent.has(address.toLowerCase())) continue;
    sent.add(address.toLowerCase());
    mails.push({ user, role, to: address, ...compose(notice, role, app) });
  }
  return { mails, problems };
}

/** Who hears about `notice`: the requester, and for a deployment at its gate every approver (once each). */
export function audience(notice: DeploymentNotice): { user: string; role: Role }[] {
  if (notice.kind !== 'awaiting-approval') return [{ user: notice.requester, role: 'requester' }];
  const approvers = [...new Set(notice.approvers)];
  const out: { user: string; role: Role }[] = approvers.map((user) => ({ user, role: 'approver' }));
  // A requester who may approve gets the approver's mail, which says all the requester's would.
  if (!approvers.includes(notice.requester)) out.unshift({ user: notice.requester, role: 'requester' });
  return out;
}

/** `shop 1.4.0 is ready on staging`. */
export function subjectFor(notice: DeploymentNotice, role: Role, app?: string): string {
  const what = release(notice, app);
  const stack = one(notice.stack);
  switch (notice.kind) {
    case 'ready':
      return clip(`${what} is ready on ${stack}`, 200);
    case 'failed':
      return clip(`${what} failed on ${stack}`, 200);
    case 'awaiting-approval':
      return clip(role === 'approver' ? `${what} on ${stack} is waiting for your approval` : `${what} is waiting for approval on ${stack}`, 200);
  }
}

/** Subject, plain text and HTML of one mail. */
export function compose(notice: DeploymentNotice, role: Role, app?: string): { subject: string; text: string; html: string } {
  const subject = subjectFor(notice, role, app);
  const lead = leadFor(notice, role, app);
  const rows = facts(notice);
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const text = [
    lead,
    '',
    ...rows.map(([label, value]) => `${`${label}:`.padEnd(width)}${value}`),
    '',
    `${actionFor(notice, role)}: ${one(notice.consoleUrl)}`,
    '',
    '-- ',
    footerFor(notice, role),
    '',
  ].join('\n');
  const html = [
    '<!doctype html>',
    '<html><body style="font-family: sans-serif; font-size: 14px">',
    `<p>${escapeHtml(lead)}</p>`,
    '<table cellpadding="3" style="border-collapse: collapse">',
    ...rows.map(([label, value]) => `<tr><th align="left" valign="top">${escapeHtml(label)}</th><td>${htmlValue(value)}</td></tr>`),
    '</table>',
    `<p>${htmlLink(one(notice.consoleUrl), actionFor(notice, role))}</p>`,
    `<p style="color: #666666; font-size: 12px">${escapeHtml(footerFor(notice, role))}</p>`,
    '</body></html>',
    '',
  ].join('\n');
  return { subject, text, html };
}

// The console's escaper: one set of entities for its pages and its mails.
export { escapeHtml };

/** True for an absolute http or https URL: the only kind a mail links to. */
export function isWebUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

// `shop 1.4.0`, or `version 1.4.0` when the app's name is not known.
function release(notice: DeploymentNotice, app?: string): string {
  return app ? `${one(app, 64)} ${one(notice.version, 64)}` : `version ${one(notice.version, 64)}`;
}

function leadFor(notice: DeploymentNotice, role: Role, app?: string): string {
  const what = release(notice, app);
  const stack = one(notice.stack);
  switch (notice.kind) {
    case 'ready':
      return `${what} is ready on ${stack}: the deployment finished and the environment serves it.`;
    case 'failed':
      return `The deployment of ${what} to ${stack} failed: ${notice.reason ? one(notice.reason) : 'no reason was given'}.`;
    case 'awaiting-approval':
      return role === 'approver'
        ? `${one(notice.requester)} asks to release ${what} on ${stack}. It passed its checks on the idle slot and waits for your approval before traffic switches to it.`
        : `${what} passed its checks on the idle slot of ${stack} and waits for approval by ${approversOf(notice)} before traffic switches to it.`;
  }
}

function actionFor(notice: DeploymentNotice, role: Role): string {
  if (notice.kind === 'awaiting-approval' && role === 'approver') return 'Approve or reject it in the console';
  return 'The deployment in the console';
}

function footerFor(notice: DeploymentNotice, role: Role): string {
  const why = role === 'approver' ? `you may approve deployments to ${one(notice.stack)}` : 'you asked for this deployment';
  return `Sent by the Slipway console because ${why}.`;
}

function facts(notice: DeploymentNotice): [string, string][] {
  const rows: [string, string][] = [
    ['Version', one(notice.version)],
    ['Digest', one(notice.digest)],
    ['Stack', one(notice.stack)],
    ['Deployment', one(notice.deployment)],
    ['Requested by', one(notice.requester)],
  ];
  if (notice.kind === 'failed') rows.push(['Reason', notice.reason ? one(notice.reason) : 'not given']);
  if (notice.kind === 'awaiting-approval') rows.push(['Approvers', approversOf(notice)]);
  rows.push(['App', notice.appUrl ? one(notice.appUrl) : 'not known yet'], ['Console', one(notice.consoleUrl)], ['At', one(notice.at)]);
  return rows;
}

function approversOf(notice: DeploymentNotice): string {
  return notice.approvers.length === 0 ? 'an approver' : one(notice.approvers.join(', '));
}

function htmlValue(value: string): string {
  return isWebUrl(value) ? htmlLink(value, value) : escapeHtml(value);
}

function htmlLink(url: string, label: string): string {
  return isWebUrl(url) ? `<a href="${escapeHtml(url)}">${escapeHtml(label)}</a>` : `${escapeHtml(label)}: ${escapeHtml(url)}`;
}

/** One line, cut: a value from a notice as a mail shows it. */
function one(v: string, max = MAIL_VALUE_MAX): string {
  return clip(v, max);
}
