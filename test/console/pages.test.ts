// The console's pages as policy: nothing renders for someone not signed in, nothing from a ledger, a
// log or a name becomes markup, no page carries an inline script or style, and each page shows what it
// is for (the plan diff before a deployment, the decisions at a gate for approvers only).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLastChecks, recordCheck } from '../../pipeline/review/lastChecks';
import { ev, started, step } from '../ledger/fixtures';
import { Client, instantPlans, REF, testConsole, until, type TestConsole } from './support';

const EVIL = '<img src=x onerror=alert(1)>';
const LEDGER = {
  prod: [
    started('d-old', { version: '1.0.0', actor: 'ci' }),
    ev.switched('d-old', 'blue', 'green'),
    ev.finished('d-old', 'green'),
    // A ledger's text is not held to the schema's version label: it must be escaped like anything else.
    started('d-evil', { version: EVIL, actor: `"><script>alert(2)</script>` }),
    step('d-evil', 'smoke-idle'),
    ev.gate('d-evil', ['alice', 'bob']),
  ],
};

let t: TestConsole;
let alice: Client;
beforeAll(async () => {
  t = await testConsole({ ledgers: LEDGER });
  alice = await new Client(t.app).signIn('alice');
});
afterAll(() => t.close());

const PAGES = ['/', '/deploy', '/deploy?stack=prod', `/deploy/review?stack=local&artifact=${encodeURIComponent(REF)}`, '/stacks/prod/history', '/stacks/prod/deployments/d-evil', '/stacks/prod/rollback', '/signin'];

describe('every page', () => {
  it.each(PAGES)('%s: a strict CSP, no inline script or style, nothing unescaped', async (url) => {
    const res = await alice.get(url);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.body).not.toMatch(/<script(?![^>]*\ssrc="\/static\/console\.js")/);
    expect(res.body).not.toMatch(/<[^>]*\s(style|on[a-z]+)=/i);
    expect(res.body).not.toContain('<img');
  });

  it.each(PAGES.filter((p) => p !== '/signin'))('%s: sends a browser without a session to sign in, and back after', async (url) => {
    const c = new Client(t.app);
    const res = await c.request({ method: 'GET', url, headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/signin?next=${encodeURIComponent(url)}`);
    await c.get(res.headers.location as string);
    const signedIn = await c.form('/api/signin', { name: 'carol', password: 'pw-alice', next: url });
    expect(signedIn.statusCode).toBe(303);
    expect(signedIn.headers.location).toBe(url);
  });

  it('a JSON client without a session gets 401, not a redirect', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/', headers: { accept: 'application/json' } });
    expect(res.statusCode).toBe(401);
  });

  it('never redirects after sign-in to another site', async () => {
    const c = new Client(t.app);
    await c.get('/signin');
    const res = await c.form('/api/signin', { name: 'carol', password: 'pw-alice', next: '//evil.example/' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('next: must be a path on this console');
  });
});

describe('escaping', () => {
  it('a version label and an actor from the ledger are text on every page that shows them', async () => {
    for (const url of ['/', '/stacks/prod/history', '/stacks/prod/deployments/d-evil']) {
      const body = (await alice.get(url)).body;
      expect(body, url).toContain('&lt;img src=x onerror=alert(1)&gt;');
      expect(body, url).not.toContain('<script>alert(2)');
    }
    expect((await alice.get('/stacks/prod/deployments/d-evil')).body).toContain('&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
  });

  it('a log line with markup is text on the job page', async () => {
    t.runner.script(() => ({ lines: ['<script>alert(3)</script>', `{"step":"deploy-idle","detail":"green ← <b>1</b>","status":"failed","ms":5,"reason":"<i>no</i>"}`], code: 1 }));
    const job = (await alice.post('/api/deployments', { stack: 'local', artifact: REF })).json().job as { id: string };
    await until(() => t.ctx.jobs.get(job.id)!.status === 'failed');
    const body = (await alice.get(`/jobs/${job.id}`)).body;
    expect(body).toContain('<li class="text">&lt;script&gt;alert(3)&lt;/script&gt;</li>');
    expect(body).toContain('<span class="detail">(green ← &lt;b&gt;1&lt;/b&gt;)</span>');
    expect(body).not.toMatch(/<script>alert|<b>1|<i>no/);
    // A finished job's page needs no script at all.
    expect(body).not.toContain('<script');
  });
});

describe('what each page is for', () => {
  it('the environments page shows per stack the live slot, the versions, the URLs, the pending approval and "not checked"', async () => {
    const body = (await alice.get('/')).body;
    expect(body).toContain('<section class="stack" id="stack-prod" data-test="stack" data-stack="prod" data-live-slot="blue">');
    expect(body).toContain('<a href="http://localhost:8080" id="public-url-local" rel="noreferrer">');
    expect(body).toMatch(/data-test="pending"><a href="\/stacks\/prod\/deployments\/d-evil"/);
    expect(body).toMatch(/<section class="stack" id="stack-prod"[^]*?<dd data-test="checks">parity: <span class="muted">not checked<\/span>/);
  });

  it('shows the last parity and drift results `slipway parity` and `slipway drift` recorded', async () => {
    recordCheck(t.dir, 'staging', 'parity', { at: new Date().toISOString(), clean: false, summary: '1 undeclared difference', against: 'prod' });
    recordCheck(t.dir, 'staging', 'drift', { at: new Date().toISOString(), clean: true, summary: 'no drift' });
    const staging = (await alice.get('/')).body.split('<section').find((s) => s.includes('id="stack-staging"'))!;
    expect(staging).toContain('parity with prod: <span class="status status-failed" data-test="check-parity">not clean</span> (1 undeclared difference,');
    expect(staging).toContain('drift: <span class="status status-live" data-test="check-drift">clean</span> (no drift,');
    expect(readLastChecks(t.dir, 'staging').parity).toMatchObject({ clean: false, against: 'prod' });
    expect(readLastChecks(t.dir, '../etc')).toEqual({});
  });

  it('the review page shows the plan diff of the release change before the confirm button', async () => {
    const body = (await alice.get(`/deploy/review?stack=local&artifact=${encodeURIComponent(REF)}`)).body;
    expect(body).toContain('goes to the idle slot <strong>green</strong>');
    expect(body).toContain('<p id="plan-summary" data-test="plan-summary" data-ok="true">0 added, 0 removed, 0 changed, 1 output changed</p>');
    expect(body).toContain('greenVersion: &quot;&quot; → &quot;1.2.0&quot;');
    expect(body.indexOf('id="plan-diff"')).toBeLessThan(body.indexOf('id="confirm-deploy"'));
    expect(body).toContain(`<input type="hidden" name="artifact" value="${REF}">`);
  });

  it('a plan that takes time: the review page renders at once, says so, reloads itself, and offers no confirm button yet', async () => {
    let release!: () => void;
    const slow = await testConsole({ planPair: async (...args) => (await new Promise<void>((r) => (release = r)), instantPlans(...args)) });
    try {
      const c = await new Client(slow.app).signIn('alice');
      const url = `/deploy/review?stack=local&artifact=${encodeURIComponent(REF)}`;
      const first = (await c.get(url)).body;
      expect(first).toContain('data-ok="pending"');
      expect(first).toContain('<meta http-equiv="refresh" content="1">');
      expect(first).not.toContain('id="confirm-deploy"');
      release();
      await new Promise((r) => setTimeout(r, 10));
      const second = (await c.get(url)).body;
      expect(second).toContain('data-ok="true"');
      expect(second).not.toContain('http-equiv="refresh"');
      expect(second).toContain('id="confirm-deploy"');
    } finally {
      await slow.close();
    }
  });

  it('the review page refuses a stack the user may not deploy to', async () => {
    const bob = await new Client(t.app).signIn('bob');
    const res = await bob.request({ method: 'GET', url: `/deploy/review?stack=prod&artifact=${encodeURIComponent(REF)}`, headers: { accept: 'text/html' } });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('bob may not deploy to prod');
  });

  it('a deployment at its gate offers approve and reject to approvers only', async () => {
    const asApprover = (await alice.get('/stacks/prod/deployments/d-evil')).body;
    expect(asApprover).toContain('id="approve-form"');
    expect(asApprover).toContain('id="reject-form"');
    const carol = await new Client(t.app).signIn('carol');
    const asOther = (await carol.get('/stacks/prod/deployments/d-evil')).body;
    expect(asOther).not.toContain('id="approve-form"');
    expect(asOther).toContain('<p class="muted" id="not-approver">Only alice, bob may approve or reject it.</p>');
  });

  it('the rollback page names both slots; history lists every deployment newest first', async () => {
    expect((await alice.get('/stacks/prod/rollback')).body).toContain('id="rollback-impossible"');
    const history = (await alice.get('/stacks/prod/history')).body;
    expect(history.indexOf('data-deployment="d-evil"')).toBeLessThan(history.indexOf('data-deployment="d-old"'));
  });

  it('unknown things are 404 in one line', async () => {
    const res = await alice.request({ method: 'GET', url: '/stacks/prod/deployments/d-nope', headers: { accept: 'application/json' } });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe('id: no deployment d-nope in the ledger of prod');
    expect((await alice.request({ method: 'GET', url: '/jobs/j-20250301-100000-0000', headers: { accept: 'application/json' } })).json().error).toBe('job: no job j-20250301-100000-0000');
  });
});
