// The console's API as policy: nothing changes without a session, from another origin, or without the
// session's CSRF token; bad input gets 400 naming the field; only approvers approve; only deployers
// deploy. fastify.inject with a fake job runner: no child process, no Docker, no engine.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ev, started, step } from '../ledger/fixtures';
import { ROOT } from '../mocks';
import { Client, DIGEST, ORIGIN, REF, testConfig, testConsole, until, type TestConsole } from './support';

const AWAITING = [started('d-gate', { version: '1.1.0', actor: 'dave' }), step('d-gate', 'smoke-idle'), ev.gate('d-gate', ['alice', 'bob'])];

/** Every state-changing route, with params that name something real in the test ledger. */
const ROUTES: { url: string; body: Record<string, unknown> }[] = [
  { url: '/api/signout', body: {} },
  { url: '/api/deployments', body: { stack: 'prod', artifact: REF } },
  { url: '/api/deployments/prod/d-gate/approve', body: {} },
  { url: '/api/deployments/prod/d-gate/reject', body: {} },
  { url: '/api/deployments/prod/d-gate/resume', body: {} },
  { url: '/api/stacks/prod/rollback', body: {} },
  { url: '/api/jobs/j-20250301-100000-0a1b/cancel', body: {} },
];

let t: TestConsole;

beforeAll(async () => {
  t = await testConsole({ ledgers: { prod: AWAITING } });
});
afterAll(() => t.close());

/** Every registered route that is not a read (GET). */
const writeRoutes = () => t.routes.filter((r) => !r.startsWith('GET ')).sort();

describe('the route list', () => {
  it('docs/console.md lists exactly the state-changing routes the console registers', () => {
    const doc = readFileSync(join(ROOT, 'docs/console.md'), 'utf8');
    const listed = [...new Set([...doc.matchAll(/`(POST|PUT|PATCH|DELETE) (\/api\/[^`\s]+)`/g)].map((m) => `${m[1]} ${m[2]}`))].sort();
    expect(writeRoutes().length).toBeGreaterThanOrEqual(8);
    expect(listed).toEqual(writeRoutes());
    expect(writeRoutes().every((r) => r.startsWith('POST /api/'))).toBe(true);
  });

  it('the test covers every registered write route', () => {
    const covered = ['POST /api/signin', ...ROUTES.map((r) => `POST ${r.url.replace(/\/prod\/d-gate\//, '/:stack/:id/').replace('/stacks/prod/', '/stacks/:stack/').replace(/j-[\w-]+/, ':job')}`)].sort();
    expect(covered).toEqual(writeRoutes());
  });
});

describe('every state-changing route', () => {
  it.each(ROUTES)('$url without a session: 401', async ({ url, body }) => {
    const res = await t.app.inject({ method: 'POST', url, payload: body, headers: { origin: ORIGIN } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toMatch(/sign in/);
  });

  it.each(ROUTES)('$url with a forged or missing Origin: 403', async ({ url, body }) => {
    const c = await new Client(t.app).signIn('alice');
    for (const origin of ['http://evil.example', 'null', `${ORIGIN}.evil.example`]) {
      const res = await c.post(url, body, { origin });
      expect(res.statusCode, origin).toBe(403);
      expect(res.json().error).toMatch(/^Origin: /);
    }
    const res = await c.request({ method: 'POST', url, payload: body, headers: { 'x-csrf-token': c.csrf } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatch(/^Origin: missing/);
  });

  it.each(ROUTES)('$url without or with a bad CSRF token: 403', async ({ url, body }) => {
    const c = await new Client(t.app).signIn('alice');
    const none = await c.request({ method: 'POST', url, payload: body, headers: { origin: ORIGIN } });
    expect(none.statusCode).toBe(403);
    expect(none.json().error).toMatch(/^_csrf: missing/);
    const other = await new Client(t.app).signIn('alice');
    for (const token of ['x', other.csrf, `${c.csrf}x`]) {
      const res = await c.post(url, body, { 'x-csrf-token': token });
      expect(res.statusCode).toBe(403);
      expect(res.json().error).toMatch(/^_csrf: does not match/);
    }
  });

  it('sign-in needs the Origin and the CSRF token of the visitor\'s session too', async () => {
    const c = new Client(t.app);
    await c.get('/signin');
    expect((await c.post('/api/signin', { name: 'alice', password: 'pw-alice' }, { origin: 'http://evil.example' })).statusCode).toBe(403);
    expect((await c.post('/api/signin', { name: 'alice', password: 'pw-alice' }, { 'x-csrf-token': 'forged' })).statusCode).toBe(403);
    expect((await c.post('/api/signin', { name: 'alice', password: 'pw-alice' })).statusCode).toBe(200);
  });
});

describe('bad input: 400 and one line naming the field', () => {
  const cases: [string, string, unknown, RegExp][] = [
    ['a stack name that cannot be one', '/api/deployments', { stack: 'Prod!', artifact: REF }, /^stack: "Prod!" must be 1-10 characters/],
    ['a missing stack', '/api/deployments', { artifact: REF }, /^stack: missing/],
    ['an artifact not pinned by digest', '/api/deployments', { stack: 'prod', artifact: 'shop:latest' }, /^artifact: "shop:latest" is not an image reference pinned by digest/],
    ['a version label with markup', '/api/deployments', { stack: 'prod', artifact: REF, version: '<script>' }, /^version: "<script>" is not a version label/],
    ['a number for a string', '/api/deployments', { stack: 42, artifact: REF }, /^stack: 42 is not text/],
    ['an unknown field', '/api/deployments', { stack: 'prod', artifact: REF, force: true }, /^force: unknown field/],
    ['a body that is not an object', '/api/deployments', ['prod'], /^body: must be an object/],
    ['a comment of two lines', '/api/deployments/prod/d-gate/approve', { comment: 'ok\nrm -rf' }, /^comment: must be one line/],
    ['a comment too long', '/api/deployments/prod/d-gate/approve', { comment: 'x'.repeat(501) }, /^comment: is longer than 500/],
    ['a bad deployment id', '/api/deployments/prod/..%2Fetc/approve', {}, /^id: "..\/etc" is not a deployment id/],
    ['a bad stack in the path', '/api/stacks/PROD/rollback', {}, /^stack: "PROD" must be/],
    ['a bad job id', '/api/jobs/nope/cancel', {}, /^job: "nope" is not a job id/],
    ['a body on a route that takes none', '/api/stacks/prod/rollback', { to: 'blue' }, /^to: unknown field/],
  ];
  it.each(cases)('%s', async (_what, url, body, message) => {
    const c = await new Client(t.app).signIn('alice');
    const res = await c.post(url, body);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toMatch(message);
    expect(res.json().error).not.toContain('\n');
  });

  it('sign-in with a missing password names it', async () => {
    const c = new Client(t.app);
    await c.get('/signin');
    const res = await c.post('/api/signin', { name: 'alice' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('password: missing (required)');
  });

  it('refuses a body over 16 KiB (413) and malformed JSON (400), in one line', async () => {
    const c = await new Client(t.app).signIn('alice');
    const big = await c.post('/api/deployments', { stack: 'prod', artifact: REF, pad: 'x'.repeat(20_000) });
    expect(big.statusCode).toBe(413);
    expect(big.json().error).toBe('body: larger than the 16384-byte limit');
    const bad = await c.request({ method: 'POST', url: '/api/deployments', payload: '{"stack":', headers: { origin: ORIGIN, 'x-csrf-token': c.csrf, 'content-type': 'application/json' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/^body: /);
  });

  it('a stack without a stack file: 404 naming the field', async () => {
    const c = await new Client(t.app).signIn('alice');
    const res = await c.post('/api/deployments', { stack: 'qa', artifact: REF });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatch(/^stack: "qa" has no stack file stacks\/Pulumi.qa.yaml/);
  });
});

describe('who may do what', () => {
  it('a non-approver cannot approve or reject (403); nothing is queued', async () => {
    const c = await new Client(t.app).signIn('carol');
    for (const kind of ['approve', 'reject']) {
      const res = await c.post(`/api/deployments/prod/d-gate/${kind}`, {});
      expect(res.statusCode).toBe(403);
      expect(res.json().error).toBe('carol is not an approver for prod (slipway:promotion.approvers: alice, bob)');
    }
    expect(t.ctx.jobs.active('prod')).toEqual([]);
  });

  it('an approver approves: the job runs `slipway approve` with them as --by', async () => {
    const c = await new Client(t.app).signIn('bob');
    const res = await c.post('/api/deployments/prod/d-gate/approve', { comment: 'ship it' });
    expect(res.statusCode).toBe(202);
    const job = res.json().job as { id: string };
    await until(() => t.ctx.jobs.get(job.id)?.status === 'succeeded');
    expect(t.runner.calls.at(-1)).toEqual(['approve', '--stack=prod', '--id=d-gate', '--by=bob', '--comment=ship it', '--json']);
  });

  it('only deployers deploy: bob is not one for prod (403)', async () => {
    const c = await new Client(t.app).signIn('bob');
    const res = await c.post('/api/deployments', { stack: 'prod', artifact: REF });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toBe('bob may not deploy to or roll back prod (console configuration: deployers.prod)');
  });

  it('a deployer deploys: the signed-in user is the actor, the version the tag', async () => {
    const c = await new Client(t.app).signIn('carol');
    const res = await c.post('/api/deployments', { stack: 'local', artifact: REF });
    expect(res.statusCode).toBe(202);
    const job = res.json().job as { id: string; artifact: { digest: string } };
    expect(job.artifact.digest).toBe(DIGEST);
    await until(() => t.ctx.jobs.get(job.id)?.status !== 'running' && t.ctx.jobs.get(job.id)?.status !== 'queued');
    expect(t.runner.calls.at(-1)).toEqual(['deploy', '--stack=local', `--artifact=${REF}`, '--app-version=1.2.0', '--actor=carol', '--json']);
  });

  it('a rollback needs a release in the idle slot (409)', async () => {
    const c = await new Client(t.app).signIn('alice');
    const res = await c.post('/api/stacks/prod/rollback', {});
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toBe('stack: slot green of prod has no release to roll back to');
  });

  it('resume is only for an interrupted deployment (409)', async () => {
    const c = await new Client(t.app).signIn('alice');
    const res = await c.post('/api/deployments/prod/d-gate/resume', {});
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatch(/^id: deployment d-gate is awaiting-approval, not interrupted/);
  });
});

describe('sessions', () => {
  it('a wrong password or an unknown user: 401, the same answer', async () => {
    for (const [name, password] of [['alice', 'wrong'], ['mallory', 'pw-alice']]) {
      const c = new Client(t.app);
      await c.get('/signin');
      const res = await c.post('/api/signin', { name, password });
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toBe('name or password is wrong');
    }
  });

  it('signs in by e-mail too; the cookie is HttpOnly and SameSite=Strict; signing out ends it', async () => {
    const c = new Client(t.app);
    await c.get('/signin');
    const res = await c.post('/api/signin', { name: 'alice@example.com', password: 'pw-alice' });
    const cookie = res.cookies.find((x) => x.name === 'slipway_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    c.csrf = res.json().csrf;
    const old = c.cookie;
    expect((await c.post('/api/signout', {})).statusCode).toBe(200);
    // The old cookie no longer signs anyone in, even replayed.
    const replay = await t.app.inject({ method: 'POST', url: '/api/deployments', payload: { stack: 'local', artifact: REF }, headers: { cookie: old, origin: ORIGIN, 'x-csrf-token': c.csrf } });
    expect(replay.statusCode).toBe(401);
  });

  it('rate-limits sign-in per address', async () => {
    const limited = await testConsole({ signInPerMinute: 3 });
    try {
      const c = new Client(limited.app);
      await c.get('/signin');
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await c.post('/api/signin', { name: 'alice', password: 'wrong' })).statusCode);
      expect(codes).toEqual([401, 401, 401, 429, 429]);
      expect((await c.post('/api/signin', { name: 'alice', password: 'pw-alice' })).json().error).toMatch(/too many sign-in attempts/);
    } finally {
      await limited.close();
    }
  });

  it('a trusted proxy signs people in, only from its own address; cookies are then Secure', async () => {
    const proxied = await testConsole({ config: testConfig({ proxy: { header: 'X-Forwarded-User', addresses: ['10.0.0.5'] } }) });
    try {
      const from = (remoteAddress: string, user: string) => proxied.app.inject({ method: 'GET', url: '/', remoteAddress, headers: { 'x-forwarded-user': user, accept: 'text/html' } });
      const ok = await from('10.0.0.5', 'carol@example.com');
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toContain('<span id="whoami" data-test="whoami">carol</span>');
      expect(ok.cookies.find((x) => x.name === 'slipway_session')?.secure).toBe(true);
      expect((await from('10.0.0.9', 'carol')).statusCode).toBe(303); // not the proxy: to the sign-in form
      const unknown = await from('10.0.0.5', 'mallory');
      expect(unknown.statusCode).toBe(403);
      expect(unknown.body).toContain('X-Forwarded-User: &quot;mallory&quot; is not a user of the console&#39;s configuration');
    } finally {
      await proxied.close();
    }
  });
});
