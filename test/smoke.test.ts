import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadStackFile } from '../stacks/load';
import type { SmokeCheck } from '../stacks/schema';
import { parseDeadline, smoke } from '../pipeline/cli/commands/smoke';
import { CheckFailed, UserError } from '../pipeline/cli/errors';
import { networkProblem } from '../pipeline/release/http';
import { commandContext, memorySink } from '../pipeline/cli/output';
import {
  backoffMs,
  baseUrlProblem,
  checkUrl,
  formatSmokeReport,
  judge,
  reportedVersion,
  runSmokeChecks,
  smokeTargets,
  type SmokeOptions,
  type SmokeReport,
} from '../pipeline/release/smoke';
import { appRoutes, flapping, TestServers } from './support/servers';

const ROOT = new URL('..', import.meta.url).pathname;
const servers = new TestServers();
afterAll(() => servers.closeAll());

/** The local stack's real checks: /healthz, /version, and /api/items which must mention "items". */
function localApp() {
  const r = loadStackFile('local', ROOT);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config.app;
}
const app = localApp();

const check = (path: string, more: Partial<SmokeCheck> = {}): SmokeCheck => ({ path, status: 200, latencyMs: 1000, ...more });

/** Fast retries so failing cases end quickly; every test states its own deadline. */
function run(baseUrl: string, opts: Partial<SmokeOptions> & { deadlineMs: number }): Promise<SmokeReport> {
  return runSmokeChecks({ baseUrl, checks: app.smoke, versionPath: app.versionPath, initialBackoffMs: 20, maxBackoffMs: 80, ...opts });
}

const byName = (r: SmokeReport, name: string) => {
  const c = r.checks.find((x) => x.name === name);
  if (!c) throw new Error(`no check ${name} in ${r.checks.map((x) => x.name).join(', ')}`);
  return c;
};

describe('smoke checks against real local servers', () => {
  it('pass against a healthy app, one attempt each, version included', async () => {
    const s = await servers.start({ routes: appRoutes({ version: '1.2.3' }) });
    const r = await run(s.url, { expectVersion: '1.2.3', deadlineMs: 2000 });
    expect(r.ok).toBe(true);
    expect(r.url).toBe(s.url);
    expect(r.checks.map((c) => [c.name, c.path, c.ok, c.status, c.attempts, c.reason])).toEqual([
      ['/healthz', '/healthz', true, 200, 1, undefined],
      ['/version', '/version', true, 200, 1, undefined],
      ['catalogue', '/api/items', true, 200, 1, undefined],
      ['version 1.2.3', '/version', true, 200, 1, undefined],
    ]);
  });

  it('fail on the wrong version, naming both versions', async () => {
    const s = await servers.start({ routes: appRoutes({ version: '1.2.2' }) });
    const r = await run(s.url, { expectVersion: '1.2.3', deadlineMs: 150 });
    expect(r.ok).toBe(false);
    expect(byName(r, 'version 1.2.3')).toMatchObject({ ok: false, status: 200, reason: 'version 1.2.2, expected 1.2.3' });
    // The other checks are not dragged down with it.
    expect(r.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['version 1.2.3']);
  });

  it('accept a plain-text version body', async () => {
    const s = await servers.start({ routes: { ...appRoutes({ version: 'x' }), '/version': { body: '2.0.0\n' } } });
    const r = await run(s.url, { expectVersion: '2.0.0', deadlineMs: 1000 });
    expect(byName(r, 'version 2.0.0').ok).toBe(true);
  });

  it('fail on 500s, reporting the status', async () => {
    const s = await servers.start({ routes: { ...appRoutes({ version: '1.2.3' }), '/healthz': { status: 500, body: 'boom' } } });
    const r = await run(s.url, { deadlineMs: 150 });
    expect(r.ok).toBe(false);
    expect(byName(r, '/healthz')).toMatchObject({ ok: false, status: 500, reason: 'expected 200, got 500' });
    expect(byName(r, '/healthz').attempts).toBeGreaterThan(1);
  });

  it('fail a response slower than its latency budget (latency on the injected clock)', async () => {
    const s = await servers.start({ routes: { '/slow': { body: 'ok' } } });
    // Every reading of the clock is 250 ms after the one before: the request took exactly 250 ms.
    let t = 0;
    const now = () => (t += 250);
    const r = await run(s.url, { checks: [check('/slow', { latencyMs: 100 })], retry: false, deadlineMs: 0, now });
    expect(byName(r, '/slow')).toMatchObject({ ok: false, latencyMs: 250, reason: 'took 250 ms, budget 100 ms' });
  });

  it('give up on a hung server after the request timeout, not the deadline', async () => {
    const s = await servers.start({ routes: { '/hang': () => 'hang' } });
    const r = await run(s.url, { checks: [check('/hang', { latencyMs: 50 })], retry: false, deadlineMs: 60000 });
    expect(byName(r, '/hang')).toMatchObject({ ok: false, attempts: 1, reason: 'timed out after 300 ms' });
    expect(byName(r, '/hang').status).toBeUndefined();
  });

  it('fail when the body lacks the required substring', async () => {
    const s = await servers.start({ routes: { ...appRoutes({ version: '1.2.3' }), '/api/items': { body: { products: [] } } } });
    const r = await run(s.url, { deadlineMs: 150 });
    expect(byName(r, 'catalogue')).toMatchObject({ ok: false, status: 200, reason: `body lacks '"items"'` });
  });

  it('pass a slot that refuses connections, then answers 503, while it warms up', async () => {
    const healthy = appRoutes({ version: '1.2.3' });
    const routes = Object.fromEntries(Object.entries(healthy).map(([path, reply]) => [path, flapping(2, reply)]));
    const s = await servers.start({ routes, listenAfterMs: 150 });
    const r = await run(s.url, { expectVersion: '1.2.3', deadlineMs: 8000 });
    expect(r.ok).toBe(true);
    // Two 503s at least before the success on every path; refused attempts come on top.
    for (const c of r.checks) expect(c.attempts).toBeGreaterThanOrEqual(3);
    expect(s.hits['/healthz']).toBe(3);
  });

  it('fail with "connection refused" when nothing listens, retrying until the deadline (on the injected clock)', async () => {
    const url = await servers.deadUrl();
    let t = 0;
    const r = await run(url, {
      deadlineMs: 250,
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
    });
    expect(r.ok).toBe(false);
    for (const c of r.checks) {
      expect(c).toMatchObject({ ok: false, reason: 'connection refused' });
      expect(c.status).toBeUndefined();
      expect(c.attempts).toBeGreaterThan(1);
    }
    // The last wait ends on the deadline: elapsed is the deadline exactly, whatever the machine's load.
    expect(r.elapsedMs).toBe(250);
  });

  it('single-shot mode makes exactly one attempt per check', async () => {
    const s = await servers.start({ routes: { '/healthz': { status: 503 }, '/version': { status: 503 }, '/api/items': { status: 503 } } });
    const r = await run(s.url, { retry: false, deadlineMs: 5000 });
    expect(r.ok).toBe(false);
    for (const c of r.checks) expect(c).toMatchObject({ attempts: 1, status: 503, reason: 'expected 200, got 503' });
    expect(s.hits).toEqual({ '/healthz': 1, '/version': 1, '/api/items': 1 });
  });

  it('runs the checks in parallel', async () => {
    // Each answer takes 300 ms; if the checks ran one after another the server would never see two at once.
    const slow = { body: 'ok', delayMs: 300 };
    const s = await servers.start({ routes: { '/a': slow, '/b': slow, '/c': slow } });
    const r = await run(s.url, { checks: ['/a', '/b', '/c'].map((p) => check(p)), retry: false, deadlineMs: 0 });
    expect(r.ok).toBe(true);
    expect(s.maxInFlight).toBe(3);
  });

  it('stops when cancelled, during a request and during a backoff wait', async () => {
    const hung = await servers.start({ routes: { '/hang': () => 'hang' } });
    const stop = new AbortController();
    const reason = new Error('cancelled by test');
    const during = run(hung.url, { checks: [check('/hang', { latencyMs: 2000 })], retry: false, deadlineMs: 0, signal: stop.signal });
    setTimeout(() => stop.abort(reason), 100);
    // Were the request not cancelled, this would resolve with a timed-out report after 4 s.
    await expect(during).rejects.toBe(reason);

    const waiting = new AbortController();
    const dead = await servers.deadUrl();
    const backoff = run(dead, { deadlineMs: 60000, initialBackoffMs: 30000, maxBackoffMs: 30000, signal: waiting.signal });
    setTimeout(() => waiting.abort(reason), 100);
    await expect(backoff).rejects.toBe(reason);

    await expect(run(hung.url, { deadlineMs: 1000, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
  });
});

describe('slipway smoke', () => {
  const ctx = () => commandContext({ cwd: ROOT, output: memorySink() });

  it('prints the table and returns the report when every check passes', async () => {
    const s = await servers.start({ routes: appRoutes({ version: '1.2.3' }) });
    const c = ctx();
    const r = await smoke({ ...c, stack: 'local', url: s.url, expectVersion: '1.2.3', deadlineSeconds: 2 });
    expect(r.ok).toBe(true);
    const out = (c.output as ReturnType<typeof memorySink>).stdout;
    expect(out).toContain(`✓ smoke ${s.url}: 4 of 4 checks passed`);
    expect(out).toMatch(/✓ +catalogue +200/);
  });

  it('prints JSON, then throws CheckFailed naming each failed check', async () => {
    const s = await servers.start({ routes: { ...appRoutes({ version: '1.2.3' }), '/api/items': { status: 502 } } });
    const c = ctx();
    const err = await smoke({ ...c, stack: 'local', url: s.url, deadlineSeconds: 0.1, json: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckFailed);
    expect((err as CheckFailed).problems).toEqual([`smoke catalogue (${s.url}/api/items): expected 200, got 502`]);
    const report = JSON.parse((c.output as ReturnType<typeof memorySink>).stdout) as SmokeReport;
    expect(report.ok).toBe(false);
    expect(report.checks.map((x) => x.ok)).toEqual([true, true, false]);
  });

  it('rejects bad flags with one line naming the flag', async () => {
    const bad = (o: Partial<Parameters<typeof smoke>[0]>) =>
      smoke({ ...ctx(), stack: 'local', url: 'http://127.0.0.1:1', ...o }).then(
        () => 'passed',
        (e: unknown) => (e instanceof UserError ? e.problems : e),
      );
    expect(await bad({ url: 'ftp://example.com' })).toEqual(['--url: "ftp://example.com" is not an http or https URL']);
    expect(await bad({ url: 'localhost:8081' })).toEqual(['--url: "localhost:8081" is not an http or https URL']);
    expect(await bad({ url: 'not a url' })).toEqual(['--url: "not a url" is not a URL (expected http://host[:port] or https://…)']);
    expect(await bad({ deadlineSeconds: 0 })).toEqual(['--deadline: 0 is not a number of seconds above 0 and at most 3600']);
    expect(await bad({ expectVersion: ' ' })).toEqual(['--expect-version: must not be empty']);
    expect(await bad({ stack: 'nope' })).toEqual(['--stack: "nope" has no stack file stacks/Pulumi.nope.yaml (stacks: dev, local, prod, staging)']);
    expect(() => parseDeadline('ten')).toThrow('--deadline: "ten" is not a number of seconds above 0 and at most 3600');
    expect(parseDeadline('1.5')).toBe(1.5);
  });
});

describe('smoke planning (pure)', () => {
  it('names checks by path unless named, and adds the version check with the stack budget', () => {
    const targets = smokeTargets([check('/healthz'), check('/version', { latencyMs: 300 }), check('/x', { name: 'x', bodyIncludes: 'y' })], '/version', '9.9.9');
    expect(targets).toEqual([
      { name: '/healthz', path: '/healthz', status: 200, latencyMs: 1000 },
      { name: '/version', path: '/version', status: 200, latencyMs: 300 },
      { name: 'x', path: '/x', status: 200, latencyMs: 1000, bodyIncludes: 'y' },
      { name: 'version 9.9.9', path: '/version', status: 200, latencyMs: 300, version: '9.9.9' },
    ]);
    expect(smokeTargets([check('/healthz')], '/v').map((t) => t.name)).toEqual(['/healthz']);
  });

  it('fails a body over the limit at once, naming the limit', () => {
    expect(judge({ name: '/', path: '/', status: 200, latencyMs: 1000 }, { kind: 'too-large', status: 200, limitBytes: 2 ** 20, latencyMs: 5 })).toEqual({
      ok: false,
      reason: 'body is over the 1 MiB limit (stopped reading)',
      final: true,
    });
  });

  it('judges the first thing wrong with an attempt', () => {
    const t = { name: 'v', path: '/v', status: 200, latencyMs: 500, bodyIncludes: 'version', version: '1.2.3' };
    const ok = { kind: 'response' as const, status: 200, body: '{"version":"1.2.3"}', latencyMs: 10 };
    expect(judge(t, ok)).toEqual({ ok: true });
    expect(judge(t, { ...ok, status: 503 })).toEqual({ ok: false, reason: 'expected 200, got 503' });
    expect(judge(t, { ...ok, body: '1.2.3' })).toEqual({ ok: false, reason: 'body lacks "version"' });
    expect(judge(t, { ...ok, body: '{"version":"1.2.2"}' })).toEqual({ ok: false, reason: 'version 1.2.2, expected 1.2.3' });
    expect(judge(t, { ...ok, body: '{"version":null}' })).toEqual({ ok: false, reason: 'body reports no version' });
    expect(judge(t, { ...ok, latencyMs: 812 })).toEqual({ ok: false, reason: 'took 812 ms, budget 500 ms' });
    expect(judge(t, { ...ok, latencyMs: 500 })).toEqual({ ok: true });
    expect(judge(t, { kind: 'timeout', afterMs: 1000 })).toEqual({ ok: false, reason: 'timed out after 1000 ms' });
    expect(judge(t, { kind: 'network', problem: 'connection refused', latencyMs: 1 })).toEqual({ ok: false, reason: 'connection refused' });
  });

  it('reads versions from JSON or plain text', () => {
    expect(reportedVersion('{"version":"1.4.2","commit":"abc"}')).toBe('1.4.2');
    expect(reportedVersion(' 1.4.2\n')).toBe('1.4.2');
    expect(reportedVersion('2')).toBe('2');
    expect(reportedVersion('"1.4.2"')).toBe('1.4.2');
    expect(reportedVersion('{"name":"shop"}')).toBeUndefined();
    expect(reportedVersion('')).toBeUndefined();
  });

  it('backs off exponentially with jitter, never above the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 60000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, initial, max, r) => {
        const base = Math.min(max, initial * 2 ** (attempt - 1));
        const d = backoffMs(attempt, initial, max, () => r);
        return d >= Math.floor(base / 2) && d <= Math.ceil(base) && d <= max;
      }),
    );
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, 100, 500, () => 0.999999))).toEqual([100, 200, 400, 500, 500]);
  });

  it('retries on the injected clock until the deadline, the last wait ending on it', async () => {
    let t = 0;
    const waits: number[] = [];
    const r = await runSmokeChecks({
      baseUrl: 'http://slot.test',
      checks: [check('/healthz')],
      versionPath: '/version',
      deadlineMs: 1000,
      initialBackoffMs: 100,
      maxBackoffMs: 400,
      random: () => 0.999999,
      now: () => t,
      sleep: async (ms) => {
        waits.push(ms);
        t += ms;
      },
      fetch: async () => new Response('warming up', { status: 503 }),
    });
    expect(waits).toEqual([100, 200, 400, 300]);
    expect(r.checks[0]).toMatchObject({ ok: false, attempts: 5, status: 503, reason: 'expected 200, got 503' });
    expect(r.elapsedMs).toBe(1000);
  });

  it('keeps a base URL path prefix and rejects non-HTTP URLs', () => {
    expect(checkUrl('http://h:8081/', '/healthz')).toBe('http://h:8081/healthz');
    expect(checkUrl('https://h/shop', '/healthz')).toBe('https://h/shop/healthz');
    expect(baseUrlProblem('https://h/shop')).toBeUndefined();
    expect(baseUrlProblem('file:///etc/passwd')).toBe('"file:///etc/passwd" is not an http or https URL');
    expect(baseUrlProblem('http://h/?a=1')).toMatch(/must not have a query/);
    expect(baseUrlProblem('http://u:secret@h:8081/x')).toBe(
      '"http://***@h:8081": a URL with a user name or password is refused (smoke checks send no credentials, and the line would show them)',
    );
    expect(baseUrlProblem('http://h:8081\n')).toBe('"http://h:8081\\n" has leading or trailing spaces');
    expect(baseUrlProblem('http://[::1]:8081')).toBeUndefined();
  });

  it('names network failures by error code', () => {
    const wrap = (cause: unknown) => new TypeError('fetch failed', { cause });
    const coded = (code: string) => Object.assign(new Error('x'), { code });
    expect(networkProblem(wrap(coded('ECONNREFUSED')))).toBe('connection refused');
    expect(networkProblem(wrap(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')])))).toBe('connection refused');
    expect(networkProblem(wrap(coded('UND_ERR_SOCKET')))).toBe('connection closed by server');
    expect(networkProblem(wrap(coded('EWHATEVER')))).toBe('request failed (EWHATEVER)');
    expect(networkProblem(wrap(new Error('odd\nsecond line')))).toBe('request failed: odd');
  });

  it('formats a compact table', () => {
    const text = formatSmokeReport({
      ok: false,
      url: 'http://127.0.0.1:8081',
      elapsedMs: 3140,
      checks: [
        { name: '/healthz', path: '/healthz', ok: true, status: 200, latencyMs: 4, attempts: 1 },
        { name: 'catalogue', path: '/api/items', ok: false, status: 500, latencyMs: 12, attempts: 7, reason: 'expected 200, got 500' },
        { name: 'version 1.2.3', path: '/version', ok: false, attempts: 3, reason: 'connection refused' },
      ],
    });
    expect(text.split('\n')).toEqual([
      '✗ smoke http://127.0.0.1:8081: 2 of 3 checks failed in 3.1 s',
      '     check          status  latency  attempts',
      '  ✓  /healthz          200     4 ms         1',
      '  ✗  catalogue         500    12 ms         7  expected 200, got 500',
      '  ✗  version 1.2.3       -        -         3  connection refused',
    ]);
  });
});
