// Jobs that survive: one per stack at a time, the CLI's own lock respected, progress followed line by
// line, outcomes read from exit code, output and ledger, the right people told, and a console restart
// showing an unfinished deployment as interrupted with a way to resume it.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { commandArgs, endingOf, readLogLine, type Job, type LogLine } from '../../pipeline/console/jobs/job';
import { processAlive } from '../../pipeline/console/jobs/runner';
import { JobStore } from '../../pipeline/console/jobs/store';
import { jsonProgress } from '../../pipeline/release/progress';
import { deployments } from '../../pipeline/ledger/derive';
import { entriesOf, ev, started, step } from '../ledger/fixtures';
import { Client, REF, testConsole, testProject, until, writeLedger, type TestConsole } from './support';

/** What `slipway deploy --json` writes on stderr for a run of `steps`, through the real jsonProgress. */
function progressLines(deployment: string, steps: [string, 'ok' | 'failed', string][]): string[] {
  const lines: string[] = [];
  const p = jsonProgress({ write: (s: string) => void lines.push(s.replace(/\n$/, '')) }, () => 0);
  p.info(`deployment ${deployment}: 1.2.0 to local, slot green`, { deployment, stack: 'local', resumed: false });
  for (const [name, status, text] of steps) {
    const s = p.step(name, 'green');
    if (status === 'ok') s.ok(text);
    else s.fail(text);
  }
  return lines;
}

let t: TestConsole | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const deployAs = async (c: Client, stack = 'local') => {
  const res = await c.post('/api/deployments', { stack, artifact: REF });
  expect(res.statusCode, res.body).toBe(202);
  return res.json().job as Job;
};
const settled = (id: string) => until(() => !['queued', 'running'].includes(t!.ctx.jobs.get(id)!.status));

describe('a deployment job', () => {
  it('runs the CLI, follows its steps, ends ready and tells the requester', async () => {
    t = await testConsole();
    t.runner.script(() => ({
      lines: progressLines('d-1', [['ensure-environment', 'ok', 'no changes'], ['deploy-idle', 'ok', '1 create']]),
      out: JSON.stringify({ deploymentId: 'd-1', stack: 'local', status: 'live', slot: 'green', publicUrl: 'http://localhost:8080' }),
    }));
    const c = await new Client(t.app).signIn('carol');
    const job = await deployAs(c);
    await settled(job.id);
    expect(t.ctx.jobs.get(job.id)).toMatchObject({ status: 'succeeded', deployment: 'd-1', exitCode: 0, message: '1.2.0 is live on local (slot green)', publicUrl: 'http://localhost:8080' });
    await until(() => t!.notifier.notices.length > 0);
    expect(t.notifier.notices).toEqual([
      expect.objectContaining({ kind: 'ready', stack: 'local', deployment: 'd-1', version: '1.2.0', requester: 'carol', approvers: [], appUrl: 'http://localhost:8080', consoleUrl: 'http://console.test/stacks/local/deployments/d-1' }),
    ]);
    const page = await c.get(`/jobs/${job.id}`);
    expect(page.body).toContain('<li data-step="deploy-idle" data-status="ok">');
    expect(page.body).toContain('<li data-step="smoke-idle" data-status="pending">');
    expect(page.body).toContain('id="app-link"');
  });

  it('stops at a gate: awaiting approval, and the approvers are told', async () => {
    const project = testProject({ prod: [started('d-2', { actor: 'carol' }), ev.gate('d-2', ['alice', 'bob'])] });
    t = await testConsole({ project });
    t.runner.script(() => ({ lines: progressLines('d-2', [['smoke-idle', 'ok', '3 checks passed']]), out: JSON.stringify({ status: 'awaiting-approval', message: ['…'] }), code: 3 }));
    const job = await deployAs(await new Client(t.app).signIn('carol'), 'prod');
    await settled(job.id);
    expect(t.ctx.jobs.get(job.id)!.status).toBe('awaiting-approval');
    await until(() => t!.notifier.notices.length > 0);
    expect(t.notifier.notices[0]).toMatchObject({ kind: 'awaiting-approval', deployment: 'd-2', requester: 'carol', approvers: ['alice', 'bob'] });
  });

  it('a failure ends the job with the command\'s first error line, and the requester is told why', async () => {
    t = await testConsole();
    t.runner.script(() => ({ lines: [...progressLines('d-3', [['smoke-idle', 'failed', 'GET /healthz: 500']]), 'smoke tests failed on the idle slot green (http://localhost:8081); the live slot (blue) was not touched', '  ✗ /healthz 500'], code: 1 }));
    const job = await deployAs(await new Client(t.app).signIn('alice'));
    await settled(job.id);
    expect(t.ctx.jobs.get(job.id)).toMatchObject({ status: 'failed', message: 'smoke tests failed on the idle slot green (http://localhost:8081); the live slot (blue) was not touched' });
    await until(() => t!.notifier.notices.length > 0);
    expect(t.notifier.notices[0]).toMatchObject({ kind: 'failed', requester: 'alice', reason: expect.stringContaining('smoke tests failed') });
  });
});

describe('one deployment per stack at a time', () => {
  it('queues a second request behind the running one, visibly, and runs it after', async () => {
    t = await testConsole();
    let finish!: () => void;
    const first = new Promise<void>((r) => (finish = r));
    t.runner.script((args) => (args.includes(`--artifact=${REF}`) ? { until: first } : {}));
    const c = await new Client(t.app).signIn('alice');
    const a = await deployAs(c);
    const other = `shop:1.3.0@sha256:${'cd'.repeat(32)}`;
    const b = (await c.post('/api/deployments', { stack: 'local', artifact: other })).json().job as Job;
    // The same request twice is the same job (a double click), not a third.
    const again = await c.post('/api/deployments', { stack: 'local', artifact: REF });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ existing: true, job: { id: a.id } });
    await until(() => t!.ctx.jobs.get(a.id)!.status === 'running');
    expect(t.ctx.jobs.get(b.id)!.status).toBe('queued');
    const page = (await c.get('/')).body;
    expect(page).toContain(`<li data-job="${a.id}" data-status="running">`);
    expect(page).toContain(`<li data-job="${b.id}" data-status="queued">`);
    expect(t.runner.calls).toHaveLength(1);
    finish();
    await settled(b.id);
    expect(t.runner.calls.map((c) => c[2])).toEqual([`--artifact=${REF}`, `--artifact=${other}`]);
  });

  it('waits while the CLI holds the stack\'s deployment lock, saying who; then runs', async () => {
    t = await testConsole();
    const locks = join(t.ledgerDir, '..', 'locks');
    mkdirSync(locks, { recursive: true });
    const lock = join(locks, 'local.deploy.lock');
    writeFileSync(lock, JSON.stringify({ deploymentId: 'd-cli', actor: 'ci', pid: process.pid, host: hostname(), since: '2025-03-01T10:00:00Z' }));
    const job = await deployAs(await new Client(t.app).signIn('alice'));
    await until(() => (t!.ctx.jobs.get(job.id)!.message ?? '').startsWith('waiting'));
    expect(t.ctx.jobs.get(job.id)).toMatchObject({ status: 'queued', message: `waiting: local is being deployed by ci (deployment d-cli, pid ${process.pid} on ${hostname()})` });
    expect(t.runner.calls).toHaveLength(0);
    const { rmSync } = await import('node:fs');
    rmSync(lock);
    await settled(job.id);
    expect(t.runner.calls).toHaveLength(1);
  });

  it('a command that still meets the lock (exit 4) goes back to the queue', async () => {
    t = await testConsole();
    let n = 0;
    t.runner.script(() => (n++ === 0 ? { lines: ['stack local is being deployed by ci (deployment d-cli, pid 1 on h, since x); wait for it to finish'], code: 4 } : {}));
    const job = await deployAs(await new Client(t.app).signIn('alice'));
    await settled(job.id);
    expect(t.runner.calls).toHaveLength(2);
    expect(t.ctx.jobs.get(job.id)!.status).toBe('succeeded');
  });

  it('a queued job can be cancelled; a running one cannot', async () => {
    t = await testConsole();
    let finish!: () => void;
    t.runner.script(() => ({ until: new Promise<void>((r) => (finish = r)) }));
    const c = await new Client(t.app).signIn('alice');
    const a = await deployAs(c);
    const b = (await c.post('/api/deployments', { stack: 'local', artifact: `shop:2.0.0@sha256:${'ef'.repeat(32)}` })).json().job as Job;
    await until(() => t!.ctx.jobs.get(a.id)!.status === 'running');
    expect((await c.post(`/api/jobs/${a.id}/cancel`)).statusCode).toBe(409);
    expect((await c.post(`/api/jobs/${b.id}/cancel`)).statusCode).toBe(200);
    expect(t.ctx.jobs.get(b.id)).toMatchObject({ status: 'cancelled', cancelledBy: 'alice' });
    finish();
    await settled(a.id);
    expect(t.runner.calls).toHaveLength(1);
  });
});

describe('a console restart', () => {
  const OPEN = [started('d-int', { version: '1.1.0', artifact: `shop:1.1.0@sha256:${'11'.repeat(32)}`, digest: `sha256:${'11'.repeat(32)}`, actor: 'alice' }), step('d-int', 'ensure-environment'), step('d-int', 'deploy-idle', 'failed')];

  it('shows a deployment left running as interrupted, with the command and a button that resumes it', async () => {
    const project = testProject({ local: OPEN });
    mkdirSync(project.stateDir, { recursive: true });
    const job: Job = { id: 'j-20250301-100000-0a1b', kind: 'deploy', stack: 'local', requestedBy: 'alice', requestedAt: '2025-03-01T10:00:00.000Z', status: 'running', startedAt: '2025-03-01T10:00:01.000Z', pid: 2 ** 22 + 17, artifact: { ref: `shop:1.1.0@sha256:${'11'.repeat(32)}`, version: '1.1.0', digest: `sha256:${'11'.repeat(32)}` } };
    writeFileSync(join(project.stateDir, `${job.id}.json`), JSON.stringify(job));
    writeFileSync(join(project.stateDir, `${job.id}.log`), `${progressLines('d-int', [['ensure-environment', 'ok', 'no changes']]).join('\n')}\n`);
    const queued: Job = { ...job, id: 'j-20250301-100001-0a1c', status: 'queued' };
    writeFileSync(join(project.stateDir, `${queued.id}.json`), JSON.stringify(queued));
    t = await testConsole({ project });
    expect(t.ctx.jobs.get(job.id)).toMatchObject({ status: 'interrupted', deployment: 'd-int', exitCode: null });
    expect(t.ctx.jobs.get(job.id)!.message).toMatch(/; the same deployment again resumes d-int$/);
    expect(t.ctx.jobs.get(queued.id)).toMatchObject({ status: 'interrupted', message: 'the console stopped before it started; ask again' });
    expect(t.notifier.notices).toEqual([]);

    const c = await new Client(t.app).signIn('carol');
    const home = (await c.get('/')).body;
    expect(home).toContain('id="interrupted-local"');
    expect(home).toContain(`slipway deploy --stack local --artifact shop:1.1.0@sha256:${'11'.repeat(32)}`);
    expect((await c.get(`/jobs/${job.id}`)).body).toContain('id="resume"');
    const res = await c.form('/api/deployments/local/d-int/resume', {});
    expect(res.statusCode).toBe(303);
    const resumed = t.ctx.jobs.list()[0]!;
    expect(res.headers.location).toBe(`/jobs/${resumed.id}`);
    await settled(resumed.id);
    expect(t.runner.calls[0]).toEqual(['deploy', '--stack=local', `--artifact=shop:1.1.0@sha256:${'11'.repeat(32)}`, '--app-version=1.1.0', '--actor=carol', '--json']);
  });

  it('remembers the URLs an AWS stack\'s jobs reported (its load balancer), across a restart', async () => {
    const project = testProject();
    mkdirSync(project.stateDir, { recursive: true });
    const done: Job = { id: 'j-20250301-100000-0a1b', kind: 'deploy', stack: 'prod', requestedBy: 'alice', requestedAt: '2025-03-01T10:00:00.000Z', status: 'succeeded', publicUrl: 'http://shop-prod-alb.example.com', testUrl: 'http://shop-prod-alb.example.com:8443' };
    writeFileSync(join(project.stateDir, `${done.id}.json`), JSON.stringify(done));
    t = await testConsole({ project });
    const home = (await (await new Client(t.app).signIn('alice')).get('/')).body;
    expect(home).toContain('<a href="http://shop-prod-alb.example.com" id="public-url-prod" rel="noreferrer">');
  });

  it('stopping the console sends running jobs SIGTERM; the open deployment is then interrupted', async () => {
    const project = testProject();
    t = await testConsole({ project });
    t.runner.script(() => ({ lines: progressLines('d-stop', [['ensure-environment', 'ok', 'no changes']]), until: new Promise(() => {}) }));
    const job = await deployAs(await new Client(t.app).signIn('alice'));
    await until(() => t!.ctx.jobs.get(job.id)!.deployment === 'd-stop');
    writeLedger(project.ledgerDir, 'local', [started('d-stop'), step('d-stop', 'ensure-environment')]);
    await t.ctx.jobs.stop(1000);
    expect(t.runner.killed).toEqual(['SIGTERM']);
    expect(t.ctx.jobs.get(job.id)).toMatchObject({ status: 'interrupted', exitCode: 143 });
  });
});

describe('server-sent events', () => {
  it('sends a finished job\'s lines, numbered, then its end', async () => {
    t = await testConsole();
    t.runner.script(() => ({ lines: ['<script>alert(1)</script>', ...progressLines('d-9', [['switch', 'ok', 'no changes']])] }));
    const c = await new Client(t.app).signIn('alice');
    const job = await deployAs(c);
    await settled(job.id);
    const res = await c.request({ method: 'GET', url: `/jobs/${job.id}/events?from=1` });
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = res.body.trim().split('\n\n');
    expect(events[0]).toBe(`event: line\nid: 1\ndata: ${JSON.stringify({ n: 1, text: 'deployment d-9: 1.2.0 to local, slot green', progress: true, deployment: 'd-9' })}`);
    expect(events.at(-1)).toMatch(/^event: end\ndata: \{"status":"succeeded"/);
    // Reconnecting with Last-Event-ID resumes after that line.
    const again = await c.request({ method: 'GET', url: `/jobs/${job.id}/events`, headers: { 'last-event-id': '2' } });
    expect(again.body.split('\n\n')[0]).toMatch(/^event: line\nid: 3\n/);
  });

  it('streams a running job\'s lines as they are written and ends with it', async () => {
    t = await testConsole();
    let finish!: () => void;
    t.runner.script(() => ({ lines: progressLines('d-live', [['ensure-environment', 'ok', 'x']]), until: new Promise<void>((r) => (finish = r)) }));
    const c = await new Client(t.app).signIn('alice');
    const job = await deployAs(c);
    await until(() => t!.ctx.jobs.get(job.id)!.status === 'running');
    const stream = c.request({ method: 'GET', url: `/jobs/${job.id}/events` });
    setTimeout(() => finish(), 50);
    const body = (await stream).body;
    expect(body).toContain('"step":{"name":"ensure-environment","status":"ok"');
    expect(body.trim().split('\n\n').at(-1)).toMatch(/^event: end\n/);
  });
});

describe('jobs, pure', () => {
  const job: Job = { id: 'j-1', kind: 'deploy', stack: 'local', requestedBy: 'alice', requestedAt: '', status: 'running', artifact: { ref: REF, version: '1.2.0', digest: '' } };
  const lines = (deployment?: string): LogLine[] => (deployment ? [readLogLine(JSON.stringify({ info: 'x', deployment }))] : []);

  it('passes every value as --flag=value, so a comment cannot read as a flag', () => {
    expect(commandArgs({ ...job, kind: 'reject', deployment: 'd-1', comment: '--force' })).toEqual(['reject', '--stack=local', '--id=d-1', '--by=alice', '--comment=--force', '--json']);
    expect(commandArgs({ ...job, kind: 'rollback' })).toEqual(['rollback', '--stack=local', '--actor=alice', '--json']);
  });

  it('reads progress lines for people, and leaves other lines as text with control characters escaped', () => {
    expect(readLogLine('{"step":"verify","detail":"green live for 10s","status":"ok","ms":10400,"result":"5 rounds clean"}')).toMatchObject({ text: '✓ verify (green live for 10s) 10.4s — 5 rounds clean', progress: true });
    expect(readLogLine('\u001b[31mred\u001b[0m')).toEqual({ text: '\\x1b[31mred\\x1b[0m', progress: false });
    expect(readLogLine('{"not":"progress"}').progress).toBe(false);
  });

  it('an unseen ending is settled from the ledger: open → interrupted, gate → awaiting, live → succeeded', () => {
    const ledger = (events: Parameters<typeof entriesOf>[0]) => deployments(entriesOf(events, 'local'))[0];
    expect(endingOf(job, undefined, '', lines('d-1'), ledger([started('d-1')])).status).toBe('interrupted');
    expect(endingOf(job, undefined, '', lines('d-1'), ledger([started('d-1'), ev.gate('d-1')])).status).toBe('awaiting-approval');
    expect(endingOf(job, undefined, '', lines('d-1'), ledger([started('d-1'), ev.finished('d-1', 'green')])).status).toBe('succeeded');
    expect(endingOf(job, undefined, '', lines('d-1'), ledger([started('d-1'), ev.failed('d-1', 'boom')]))).toMatchObject({ status: 'failed', message: 'failed: boom' });
    expect(endingOf(job, undefined, '', [], undefined).status).toBe('interrupted');
    expect(endingOf(job, 1, '', [readLogLine('--artifact: bad')], undefined)).toMatchObject({ status: 'failed', message: '--artifact: bad' });
  });
});

describe('is a job left running still there', () => {
  it('a live pid that runs something else (the pid was given to another process) is not the job', async () => {
    expect(processAlive(process.pid)).toBe(false); // alive, but not the slipway CLI
    expect(processAlive(2 ** 22 + 17)).toBe(false); // no such process
    const bin = fileURLToPath(new URL('../../bin/slipway.mjs', import.meta.url));
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)', bin], { stdio: 'ignore' });
    try {
      await until(() => child.pid !== undefined);
      expect(processAlive(child.pid!)).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('the console\'s working files', () => {
  it('keeps the newest finished jobs and every unfinished one; older records and logs go', () => {
    const dir = testProject().stateDir;
    const store = new JobStore(dir);
    const job = (n: number, status: Job['status']): Job => ({ id: `j-20250301-1000${String(n).padStart(2, '0')}-0a1b`, kind: 'deploy', stack: 'local', requestedBy: 'alice', requestedAt: `2025-03-01T10:00:${String(n).padStart(2, '0')}.000Z`, status });
    const jobs = [job(1, 'succeeded'), job(2, 'failed'), job(3, 'running'), job(4, 'succeeded'), job(5, 'interrupted')];
    for (const j of jobs) for (const ext of ['json', 'log', 'out']) writeFileSync(join(dir, `${j.id}.${ext}`), ext === 'json' ? JSON.stringify(j) : '');
    expect(store.prune(store.loadAll(), 2)).toEqual([jobs[1]!.id, jobs[0]!.id]);
    expect(store.loadAll().map((j) => j.id).sort()).toEqual([jobs[2]!.id, jobs[3]!.id, jobs[4]!.id]);
    expect(readdirSync(dir).filter((f) => f.startsWith(jobs[0]!.id))).toEqual([]);
  });
});
