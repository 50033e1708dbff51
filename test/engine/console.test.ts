// The console end to end, as people use it: `slipway console` serving a throwaway project on the real
// engine (the local Docker stack and a manual-approval stack), real Chromium signing in as three users,
// and mail to a real SMTP server. One deployer deploys a version after reading its plan diff and
// watches its steps arrive; the app answers; the deployer gets the "ready" mail. On the gated stack a
// deployment waits, the approver is mailed, a non-approver is refused, the approver approves from the
// link in the mail and it goes live. A rollback from the console shows in the history with the name of
// who did it. Screenshots of each page go to test-results/console/ (SLIPWAY_DOCS_SCREENSHOTS=1 also
// refreshes the ones docs/console.md shows).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ROOT } from '../mocks';
import { launchChromium, pageErrors, recordLiveLines, screenshot, VIEWPORT, type LiveLine } from '../support/browser';
import { startMailbox, type Mailbox, type ReceivedMail } from '../support/mailbox';
import { jobOutcome, ownPorts, signIn, startConsoleProcess, waitForMail, writeConsoleConfig, type ConsoleProcess, type ConsoleUserSpec } from './consoleRun';
import { engineProject, versionAt, type EngineProject } from './project';

const SHOTS = join(ROOT, 'test-results', 'console');
/** The screenshots docs/console.md shows. */
const DOCS_SHOTS = ['environments', 'deploy-review', 'progress', 'approval'];
const SECRET = randomBytes(32).toString('base64');
const user = (name: string): ConsoleUserSpec => ({ name, email: `${name}@example.com`, password: `pw-${name}-${randomBytes(6).toString('hex')}` });
/** Deploys (and so is mailed as the requester); dana may deploy to both stacks. */
const dana = user('dana');
/** The gated stack's approver. */
const alice = user('alice');
/** May deploy and roll back, may not approve. */
const mallory = user('mallory');

let p: EngineProject;
let box: Mailbox;
let c: ConsoleProcess | undefined;
let browser: Browser | undefined;
let gated: Awaited<ReturnType<typeof ownPorts>>;
const built: Record<string, { ref: string; digest: string }> = {};
const errors: string[] = [];
const contexts: BrowserContext[] = [];
let live: LiveLine[] = [];

/** A signed-in page of its own (a browser context per person: separate cookies). */
async function personPage(who: ConsoleUserSpec, path = '/'): Promise<Page> {
  const context = await browser!.newContext({ viewport: VIEWPORT });
  contexts.push(context);
  if (who === dana) live = await recordLiveLines(context);
  const page = await context.newPage();
  errors.push(...pageErrors(page));
  await page.goto(`${c!.url}${path}`);
  expect(new URL(page.url()).pathname).toBe('/signin');
  await signIn(page, who);
  expect(await page.textContent('#whoami')).toBe(who.name);
  return page;
}

const shot = (page: Page, name: string) => screenshot(page, SHOTS, name);

/** No secret of the console or its users in a mail. */
function expectNoSecret(mail: ReceivedMail): void {
  for (const secret of [SECRET, dana.password, alice.password, mallory.password, '$scrypt$']) expect(mail.raw).not.toContain(secret);
}

/** Picks `version` on the deploy page, reads the plan diff, confirms; returns the diff and leaves the page on the job. */
async function reviewAndDeploy(page: Page, stack: string, version: string): Promise<{ summary: string; diff: string }> {
  await page.goto(`${c!.url}/`);
  await Promise.all([page.waitForURL(/\/deploy\?stack=/), page.click(`#deploy-${stack}`)]);
  await page.selectOption('#stack', stack);
  await page.selectOption('#artifact', built[version]!.ref);
  await Promise.all([page.waitForURL(/\/deploy\/review\?/), page.click('#review-deploy')]);
  // The plan takes seconds the first time; the page reloads itself until it is there, then offers Deploy.
  await page.waitForSelector('#plan-summary[data-ok="true"]', { timeout: 120_000 });
  expect(await page.textContent('#review-summary')).toContain(`Deploy ${version}`);
  const review = { summary: (await page.textContent('#plan-summary'))!, diff: (await page.textContent('#plan-diff'))! };
  if (stack === 'gated') await shot(page, 'deploy-review');
  await Promise.all([page.waitForURL(/\/jobs\/j-/), page.click('#confirm-deploy')]);
  return review;
}

/** The job page's lines that arrived over the event stream (not rendered by the server). */
const liveOf = (page: Page) => live.filter((l) => l.path === new URL(page.url()).pathname).map((l) => l.text);

beforeAll(async () => {
  browser = await launchChromium();
  box = await startMailbox();
  p = await engineProject('console');
  // Only the two Docker stacks: the environments page (and its screenshot) shows them alone.
  rmSync(join(p.dir, 'stacks', 'Pulumi.dev.yaml'));
  p.writeStack('gated', { approval: 'manual', approvers: [alice.name], bakeSeconds: 2 });
  gated = await ownPorts(p, 'gated');
  // What `slipway build` made is what the deploy page offers: two versions of the app.
  for (const version of ['1.0.0', '2.0.0']) {
    const r = await p.slipway(['build', 'app', '--name', p.app, '--base-image', p.baseImage, '--app-version', version, '--json']);
    if (r.exitCode !== 0) throw new Error(`slipway build ${version} failed:\n${r.all}`);
    const a = JSON.parse(r.stdout) as { ref: string; digest: string };
    built[version] = { ref: a.ref, digest: a.digest };
  }
  await writeConsoleConfig(p, [dana, alice, mallory], { local: [dana.name, mallory.name], gated: [dana.name, mallory.name] }, box);
  c = await startConsoleProcess(p, { SLIPWAY_CONSOLE_SECRET: SECRET });
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await c?.stop();
  await box?.close();
  await p?.cleanup();
  if (process.env.SLIPWAY_DOCS_SCREENSHOTS === '1') {
    mkdirSync(join(ROOT, 'docs', 'console'), { recursive: true });
    for (const name of DOCS_SHOTS) copyFileSync(join(SHOTS, `${name}.png`), join(ROOT, 'docs', 'console', `${name}.png`));
  }
});

describe.sequential('the console in Chromium on the real engine', () => {
  let page: Page; // dana's
  let malloryPage: Page;
  let pendingUrl = '';

  it('signs in through the form and lists the environments', async () => {
    const context = await browser!.newContext({ viewport: VIEWPORT });
    contexts.push(context);
    const anon = await context.newPage();
    errors.push(...pageErrors(anon));
    await anon.goto(`${c!.url}/`);
    await shot(anon, 'signin');
    await anon.fill('#name', dana.name);
    await anon.fill('#password', 'wrong password');
    await anon.click('#signin');
    expect(await anon.textContent('#signin-error')).toMatch(/wrong/);
    page = await personPage(dana);
    for (const stack of ['local', 'gated']) expect(await page.isVisible(`section[data-test=stack][data-stack=${stack}]`)).toBe(true);
    expect(await page.textContent('section[data-stack=gated] [data-test=approval]')).toContain(alice.name);
  });

  it('deploys a built version to local: plan diff first, steps live, the app answers, the requester is mailed', async () => {
    const review = await reviewAndDeploy(page, 'local', '1.0.0');
    expect(review.summary).not.toBe('no changes');
    expect(review.diff).toMatch(/1\.0\.0/);
    // Mid-run: steps already reported, the page still following the job.
    await page.waitForSelector('#job[data-live="true"] #steps li[data-step="smoke-idle"][data-status="ok"]', { timeout: 240_000 });
    await shot(page, 'progress');
    // The deployment id the run announced is linked without a reload.
    expect(await page.locator('#deployment-pending').count()).toBe(0);
    expect(await page.textContent('#job-summary [data-test=deployment-link]')).toMatch(/^d-/);
    const outcome = await jobOutcome(page);
    expect(outcome, outcome.text).toMatchObject({ status: 'succeeded' });
    expect(outcome.text).toContain('1.0.0 is live on local');
    await shot(page, 'job-done');
    const lines = liveOf(page);
    for (const step of ['deploy-idle', 'wait-healthy', 'smoke-idle', 'switch']) expect(lines.some((l) => l.startsWith(`✓ ${step}`)), lines.join('\n')).toBe(true);
    expect(await page.getAttribute('#steps li[data-step="verify"]', 'data-status')).toBe('ok');

    const app = (await page.getAttribute('#app-link', 'href'))!;
    // The Docker stack's public URL, as the environments page and `slipway status` name it.
    expect(app).toBe(`http://localhost:${p.ports.public}`);
    expect((await fetch(`${app}/healthz`)).status).toBe(200);
    expect(await versionAt(app)).toBe('1.0.0');

    const mail = await waitForMail(box, (m) => m.to.includes(dana.email) && /ready on local/.test(m.subject));
    expect(mail.to).toEqual([dana.email]);
    expect(mail.subject).toBe(`${p.app} 1.0.0 is ready on local`);
    expect(mail.text).toMatch(/Version:\s+1\.0\.0\n/);
    expect(mail.text).toContain(built['1.0.0']!.digest);
    expect(mail.text).toMatch(new RegExp(`Console:\\s+${c!.url}/stacks/local/deployments/d-`));
    expect(mail.text).toMatch(new RegExp(`App:\\s+${app}`));
    expectNoSecret(mail);
  });

  it('a gated deployment waits; the approver is mailed; a non-approver is refused; the approver approves; it goes live', async () => {
    await reviewAndDeploy(page, 'gated', '1.0.0');
    const outcome = await jobOutcome(page);
    expect(outcome, outcome.text).toMatchObject({ status: 'awaiting-approval' });
    expect(await versionAt(gated.testUrl)).toBe('1.0.0');
    expect(await versionAt(gated.publicUrl)).not.toBe('1.0.0');
    await page.goto(`${c!.url}/`);
    expect(await page.textContent('section[data-stack=gated] [data-test=pending]')).toContain('1.0.0');
    await shot(page, 'environments');

    const toAlice = await waitForMail(box, (m) => m.to.includes(alice.email));
    expect(toAlice.subject).toBe(`${p.app} 1.0.0 on gated is waiting for your approval`);
    expectNoSecret(toAlice);
    const toDana = await waitForMail(box, (m) => m.to.includes(dana.email) && /gated/.test(m.subject));
    expect(toDana.subject).toBe(`${p.app} 1.0.0 is waiting for approval on gated`);
    expect(box.mails.filter((m) => m.to.includes(mallory.email))).toEqual([]);
    pendingUrl = /Approve or reject it in the console: (\S+)/.exec(toAlice.text)![1]!;
    expect(pendingUrl).toMatch(new RegExp(`^${c!.url}/stacks/gated/deployments/d-`));
    const path = new URL(pendingUrl).pathname;

    // Mallory may deploy to gated but not approve: no buttons, and the route says no.
    const m = (malloryPage = await personPage(mallory, path));
    expect(new URL(m.url()).pathname).toBe(path);
    expect(await m.getAttribute('#deployment', 'data-status')).toBe('awaiting-approval');
    expect(await m.isVisible('#not-approver')).toBe(true);
    expect(await m.locator('#approve-form, #reject-form').count()).toBe(0);
    await shot(m, 'approval-refused');
    const api = path.replace(/^\/stacks\/gated\/deployments\//, '/api/deployments/gated/') + '/approve';
    const refused = await m.evaluate(`(async () => {
      const csrf = document.querySelector('input[name=_csrf]').value;
      const res = await fetch(${JSON.stringify(api)}, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: '{}' });
      return { status: res.status, body: await res.json() };
    })()`);
    expect(refused).toEqual({ status: 403, body: { error: expect.stringMatching(/mallory is not an approver for gated/) } });
    errors.splice(0, errors.length, ...errors.filter((e) => !/status of 403/.test(e)));

    // Alice follows the link in her mail, signs in, lands on the deployment, approves.
    const a = await personPage(alice, path);
    expect(new URL(a.url()).pathname).toBe(path);
    expect(await a.isVisible('#approve-form')).toBe(true);
    await shot(a, 'approval');
    await a.fill('#approve-comment', 'checked on the test URL');
    await Promise.all([a.waitForURL(/\/jobs\/j-/), a.click('#approve-form button')]);
    const approved = await jobOutcome(a);
    expect(approved, approved.text).toMatchObject({ status: 'succeeded' });
    expect(await versionAt(gated.publicUrl)).toBe('1.0.0');
    await a.goto(pendingUrl);
    expect(await a.getAttribute('#deployment', 'data-status')).toBe('live');
    expect(await a.textContent('[data-test=approvals]')).toMatch(/alice .*checked on the test URL/);
    const ready = await waitForMail(box, (x) => x.to.includes(dana.email) && x.subject === `${p.app} 1.0.0 is ready on gated`);
    expectNoSecret(ready);
  });

  it('rolls back from the console; the history names who did what', async () => {
    await reviewAndDeploy(page, 'local', '2.0.0');
    expect(await jobOutcome(page)).toMatchObject({ status: 'succeeded' });
    expect(await versionAt(p.publicUrl)).toBe('2.0.0');

    const m = malloryPage;
    await m.goto(`${c!.url}/`);
    await Promise.all([m.waitForURL(/\/rollback$/), m.click('#rollback-local')]);
    expect(await m.textContent('#rollback-summary')).toMatch(/back to \w+ \(1\.0\.0/);
    await shot(m, 'rollback');
    await Promise.all([m.waitForURL(/\/jobs\/j-/), m.click('#confirm-rollback')]);
    const outcome = await jobOutcome(m);
    expect(outcome, outcome.text).toMatchObject({ status: 'succeeded' });
    expect(await versionAt(p.publicUrl)).toBe('1.0.0');
    expect(await versionAt(p.testUrl)).toBe('2.0.0');

    await m.goto(`${c!.url}/`);
    await Promise.all([m.waitForURL(/\/history$/), m.click('#history-local')]);
    const rows = await m.$$eval('#history tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
    // Newest first: the rollback by mallory, then dana's two deployments. Columns: id, started, version, digest, status, by, approved by.
    expect(rows.map((r) => [r[2], r[4], r[5]])).toEqual([
      ['1.0.0', expect.stringMatching(/^rollback to /), mallory.name],
      ['2.0.0', 'rolled-back', dana.name],
      ['1.0.0', 'live', dana.name],
    ]);
    await shot(m, 'history');
    await m.goto(`${c!.url}/`);
    await shot(m, 'environments-after');
  });

  it('no page logged an error, and the console reported no failure', () => {
    expect(errors).toEqual([]);
    expect(c!.stderr()).not.toMatch(/internal error|notification .* failed|could not/);
  });
});
