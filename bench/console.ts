// The console's speed, as people meet it. A console over a project whose four stacks' ledgers hold
// 1,000 entries each, listening on a real socket:
//  - pages: each page over HTTP, signed in (session, routing, reading, rendering, sending): the first
//    request after start (ledgers read and folded), p50/p95 of N more (cached), and p50/p95 when the
//    ledger grows by one entry before each request (read and folded again);
//  - events: a job's progress line written to its log (as the pipeline's child process writes it) until
//    Chromium's EventSource has it on the job page (console.js appended it to the log), p50/p95 over
//    at least 20 lines written at irregular intervals — the log is read every 100 ms, as in production.
// One JSON line:
//   {"entries_per_stack","stacks","runs","pages":{"/":{"first_ms","p50_ms","p95_ms","changed_p50_ms","changed_p95_ms"},…},
//    "events":{"count","p50_ms","p95_ms","max_ms"},"goals":{"page_p95_ms":200,"event_p95_ms":500},"met"}
//
//   npm run bench:console [-- RUNS [EVENTS]]      (default 50 page runs, 40 events; needs /usr/bin/chromium)
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandRunner } from '../pipeline/console/jobs/runner';
import { entryHash, type LedgerEntry, type LedgerEvent } from '../pipeline/ledger/events';
import { buildConsole } from '../pipeline/console/server';
import { instantPlans, noDocker, REF, testConfig, testProject, writeLedger } from '../test/console/support';
import { ev, started, step } from '../test/ledger/fixtures';
import { launchChromium, recordLiveLines, VIEWPORT } from '../test/support/browser';
import { percentile, round1 } from './stats';

const ENTRIES = 1000;
const GOALS = { page_p95_ms: 200, event_p95_ms: 500 };
const PASSWORD = 'pw-alice'; // the test users' password (test/console/support.ts)

const arg = (i: number, fallback: string, min: number, max: number) => {
  const raw = process.argv[i] ?? fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`argument ${i - 1}: "${raw}" is not a whole number from ${min} to ${max}`);
  return n;
};
const runs = arg(2, '50', 1, 1000);
const eventCount = arg(3, '40', 20, 1000);

/** A realistic ledger: deployments of 8 entries (started, 5 steps, switched, finished), some gated. */
function history(n: number): LedgerEvent[] {
  const events: LedgerEvent[] = [];
  for (let i = 0; events.length < n; i++) {
    const id = `d-${String(i).padStart(5, '0')}`;
    const [from, to] = i % 2 === 0 ? (['blue', 'green'] as const) : (['green', 'blue'] as const);
    events.push(started(id, { version: `1.${i}.0`, slot: to, from, actor: i % 3 === 0 ? 'alice' : 'ci' }));
    for (const s of ['ensure-environment', 'deploy-idle', 'wait-healthy', 'smoke-idle']) events.push(step(id, s));
    if (i % 5 === 0) events.push(ev.gate(id, ['alice', 'bob']), ev.approved(id, 'bob'));
    events.push(ev.switched(id, from, to), step(id, 'verify'), ev.finished(id, to));
  }
  return events.slice(0, n);
}

const wall = () => performance.timeOrigin + performance.now();

// A job's command, played by the bench: it writes the lines it is told to, when it is told to.
let logFile = '';
let outFile = '';
let endJob: (code: number) => void = () => {};
const runner: CommandRunner = (_args, io) => {
  logFile = io.logFile;
  outFile = io.outFile;
  return { pid: undefined, exited: new Promise<number>((resolve) => (endJob = resolve)), kill: () => endJob(143) };
};
/** Appends one progress line to the job's log, as the pipeline does; returns when it was written. */
const writeLine = (line: object) => {
  appendFileSync(logFile, `${JSON.stringify(line)}\n`);
  return wall();
};

const project = testProject();
const stacks = ['dev', 'local', 'prod', 'staging'];
for (const s of stacks) writeLedger(project.ledgerDir, s, history(ENTRIES));
// Served on 127.0.0.1: no publicUrl, so the Origin the browser sends is the console's own.
const { publicUrl: _none, ...config } = testConfig();
const { app, ctx } = await buildConsole({
  cwd: project.dir,
  config,
  env: { SLIPWAY_LEDGER_DIR: project.ledgerDir },
  secret: 'bench-secret-bench-secret-bench-secret!',
  runner,
  planPair: instantPlans,
  docker: noDocker,
  stateDir: project.stateDir,
  warn: () => {},
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
const browser = await launchChromium();

/** Signs in over HTTP as a browser does (the form's CSRF token, the Origin); returns the session cookie. */
async function signIn(): Promise<string> {
  const form = await fetch(`${base}/signin`);
  const anonymous = form.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const res = await fetch(`${base}/api/signin`, {
    method: 'POST',
    headers: { cookie: anonymous, origin: base, 'x-csrf-token': csrf, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'alice', password: PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`sign-in: ${res.status} ${await res.text()}`);
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}

/** Appends one entry to prod's ledger, chained, so the next request must read it again. */
let seq = ENTRIES;
let prev = '';
const grow = () => {
  const entry = { seq: ++seq, at: new Date().toISOString(), stack: 'prod', deploymentId: `d-extra-${seq}`, type: 'failed', data: { reason: 'bench' }, prev } as Omit<LedgerEntry, 'hash'>;
  appendFileSync(join(project.ledgerDir, 'prod.jsonl'), `${JSON.stringify({ ...entry, hash: entryHash(entry) })}\n`);
  prev = entryHash(entry);
};

type PageTimes = { first_ms: number; p50_ms: number; p95_ms: number; changed_p50_ms: number; changed_p95_ms: number };

/** The first request, then `runs` cached, then `runs` with the ledger grown before each. */
async function pageTimes(path: string, cookie: string): Promise<PageTimes> {
  const time = async () => {
    const start = performance.now();
    const res = await fetch(`${base}${path}`, { headers: { cookie, accept: 'text/html' } });
    const body = await res.text();
    const ms = performance.now() - start;
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body.slice(0, 200)}`);
    return ms;
  };
  const first = await time();
  const warm: number[] = [];
  for (let i = 0; i < runs; i++) warm.push(await time());
  const changed: number[] = [];
  for (let i = 0; i < runs; i++) {
    grow();
    changed.push(await time());
  }
  return { first_ms: round1(first), p50_ms: round1(percentile(warm, 50)), p95_ms: round1(percentile(warm, 95)), changed_p50_ms: round1(percentile(changed, 50)), changed_p95_ms: round1(percentile(changed, 95)) };
}

/** Opens a running deploy job's page in Chromium and times `eventCount` lines from their write to the page; returns the job's path. */
async function eventLatencies(): Promise<{ latencies: number[]; jobPath: string }> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    const seen = await recordLiveLines(context);
    const page = await context.newPage();
    await page.goto(`${base}/signin`);
    await page.fill('#name', 'alice');
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(`${base}/`), page.click('#signin')]);
    await page.goto(`${base}/deploy/review?stack=local&artifact=${encodeURIComponent(REF)}`);
    await Promise.all([page.waitForURL(/\/jobs\/j-/), page.click('#confirm-deploy')]);
    await page.waitForSelector('#job[data-status="running"][data-live="true"]');
    const arrived = async (text: string, ms = 5000) => {
      const end = Date.now() + ms;
      for (;;) {
        const hit = seen.find((l) => l.text === text);
        if (hit) return hit.at;
        if (Date.now() > end) throw new Error(`"${text}" did not reach the page in ${ms} ms`);
        await sleep(2);
      }
    };
    // The stream is open once a first line arrives; then each line is timed from its write.
    writeLine({ info: 'bench: warming up', deployment: 'd-bench' });
    await arrived('bench: warming up');
    const latencies: number[] = [];
    for (let i = 0; i < eventCount; i++) {
      await sleep(40 + Math.random() * 160); // off the 100 ms read interval's beat
      const text = `bench event ${i}`;
      const at = writeLine({ info: text });
      latencies.push((await arrived(text)) - at);
    }
    writeFileSync(outFile, JSON.stringify({ status: 'live', deploymentId: 'd-bench' }));
    endJob(0);
    await page.waitForSelector('#outcome', { timeout: 10_000 });
    return { latencies, jobPath: new URL(page.url()).pathname };
  } finally {
    await context.close();
  }
}

try {
  const cookie = await signIn();
  const last = history(ENTRIES).filter((e) => e.type === 'started').at(-1)!.deploymentId;
  const pages: Record<string, PageTimes> = {};
  // Before anything else reads the ledgers: the first request of each page is the cold one.
  for (const path of ['/', '/stacks/prod/history', `/stacks/prod/deployments/${last}`, '/deploy', '/stacks/prod/rollback']) {
    pages[path.replace(/d-\d+$/, ':id')] = await pageTimes(path, cookie);
  }
  const { latencies, jobPath } = await eventLatencies();
  pages['/jobs/:job'] = await pageTimes(jobPath, cookie);

  const events = { count: latencies.length, p50_ms: round1(percentile(latencies, 50)), p95_ms: round1(percentile(latencies, 95)), max_ms: round1(Math.max(...latencies)) };
  const worstPage = Math.max(...Object.values(pages).flatMap((t) => [t.p95_ms, t.changed_p95_ms]));
  const met = worstPage <= GOALS.page_p95_ms && events.p95_ms <= GOALS.event_p95_ms;
  console.log(JSON.stringify({ entries_per_stack: ENTRIES, stacks: stacks.length, runs, pages, events, goals: GOALS, met }));
} finally {
  await browser.close();
  await ctx.jobs.stop(1000);
  await app.close();
  rmSync(project.dir, { recursive: true, force: true });
}
