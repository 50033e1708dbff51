// Shared by the console's tests: a throw-away project (the shipped stack files, a ledger folder, the
// console's state folder), a console over it with a fake job runner (no child process, no Docker, no
// engine), a fake planner, a notifier that records, and a signed-in client over fastify.inject.
import { cpSync, mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { ConsoleConfig } from '../../pipeline/console/config';
import type { DeploymentNotice, Notifier } from '../../pipeline/console/events';
import type { CommandRunner } from '../../pipeline/console/jobs/runner';
import type { PlanPair } from '../../pipeline/console/releasePlan';
import { buildConsole, type ConsoleContext } from '../../pipeline/console/server';
import { entriesOf } from '../ledger/fixtures';
import type { LedgerEvent } from '../../pipeline/ledger/events';
import type { Runner } from '../../pipeline/release/build';
import { ROOT } from '../mocks';

/** A cheap scrypt hash of `pw-alice`, every test user's password (the cost is in the hash; real ones use ln=15). */
export const HASHES = {
  alice: '$scrypt$ln=10,r=8,p=1$crdoLzt/880ceilo/rX/Ug$53ew5wEP1DPfn7UnCKnFU92Lv+70dxk3adgGA7AUjLo',
};

export const ORIGIN = 'http://console.test';
export const DIGEST = `sha256:${'ab'.repeat(32)}`;
export const REF = `shop:1.2.0@${DIGEST}`;

export function testConfig(over: Partial<ConsoleConfig> = {}): ConsoleConfig {
  return {
    publicUrl: ORIGIN,
    users: [
      { name: 'alice', email: 'alice@example.com', passwordHash: HASHES.alice },
      { name: 'bob', email: 'bob@example.com', passwordHash: HASHES.alice },
      { name: 'carol', email: 'carol@example.com', passwordHash: HASHES.alice },
    ],
    deployers: { local: ['*'], prod: ['alice', 'carol'] },
    ...over,
  };
}

/** What a fake command does: lines on stderr (JSON progress or text), stdout, an exit code, when. */
export interface FakeRun {
  lines?: string[];
  out?: string;
  code?: number;
  /** Resolves when the command should end (default: at once). */
  until?: Promise<unknown>;
}

export interface FakeRunner {
  runner: CommandRunner;
  calls: string[][];
  /** Sets what the next commands do (by default: succeed with no output). */
  script: (fn: (args: readonly string[]) => FakeRun) => void;
  killed: NodeJS.Signals[];
}

export function fakeRunner(): FakeRunner {
  const calls: string[][] = [];
  const killed: NodeJS.Signals[] = [];
  let plan: (args: readonly string[]) => FakeRun = () => ({ code: 0 });
  const runner: CommandRunner = (args, io) => {
    calls.push([...args]);
    const run = plan(args);
    let stop: (code: number) => void = () => {};
    const stopped = new Promise<number>((r) => (stop = r));
    const exited = (async () => {
      writeFileSync(io.logFile, (run.lines ?? []).map((l) => `${l}\n`).join(''), { flag: 'a' });
      const code = await Promise.race([(run.until ?? Promise.resolve()).then(() => run.code ?? 0), stopped]);
      writeFileSync(io.outFile, run.out ?? '');
      return code;
    })();
    return { pid: undefined, exited, kill: (signal) => (killed.push(signal), stop(143)) };
  };
  return { runner, calls, killed, script: (fn) => (plan = fn) };
}

export class RecordingNotifier implements Notifier {
  readonly notices: DeploymentNotice[] = [];
  async notify(n: DeploymentNotice): Promise<void> {
    this.notices.push(n);
  }
}

/** No Docker here: the catalogue of local images is empty. */
export const noDocker: Runner = async () => ({ exitCode: undefined, stdout: '', stderr: '', startError: 'ENOENT' });

export interface TestConsole {
  app: FastifyInstance;
  ctx: ConsoleContext;
  /** Every route registered: `METHOD /path`. */
  routes: string[];
  dir: string;
  ledgerDir: string;
  stateDir: string;
  runner: FakeRunner;
  notifier: RecordingNotifier;
  close: () => Promise<void>;
}

/** A project with the shipped stack files and an empty ledger; `ledgers` pre-writes stacks' ledgers. */
export function testProject(ledgers: Record<string, LedgerEvent[]> = {}): { dir: string; ledgerDir: string; stateDir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-console-'));
  mkdirSync(join(dir, 'stacks'));
  for (const f of readdirSync(join(ROOT, 'stacks')).filter((f) => f.endsWith('.yaml'))) cpSync(join(ROOT, 'stacks', f), join(dir, 'stacks', f));
  const ledgerDir = join(dir, 'ledger');
  mkdirSync(ledgerDir);
  for (const [stack, events] of Object.entries(ledgers)) writeLedger(ledgerDir, stack, events);
  return { dir, ledgerDir, stateDir: join(dir, 'console-state') };
}

export function writeLedger(ledgerDir: string, stack: string, events: LedgerEvent[]): void {
  writeFileSync(join(ledgerDir, `${stack}.jsonl`), entriesOf(events, stack).map((e) => `${JSON.stringify(e)}\n`).join(''));
}

export interface TestConsoleOptions {
  ledgers?: Record<string, LedgerEvent[]>;
  config?: ConsoleConfig;
  project?: ReturnType<typeof testProject>;
  signInPerMinute?: number;
  planPair?: PlanPair;
}

/** A plan pair in no time: the idle slot's version output changes, nothing else. */
export const instantPlans: PlanPair = async () => [
  { ok: true, plan: { stack: 's', resources: [], outputs: { greenVersion: '' } } },
  { ok: true, plan: { stack: 's', resources: [], outputs: { greenVersion: '1.2.0' } } },
];

export async function testConsole(opts: TestConsoleOptions = {}): Promise<TestConsole> {
  const project = opts.project ?? testProject(opts.ledgers);
  const runner = fakeRunner();
  const notifier = new RecordingNotifier();
  const { app, ctx, routes } = await buildConsole({
    cwd: project.dir,
    config: opts.config ?? testConfig(),
    env: { SLIPWAY_LEDGER_DIR: project.ledgerDir },
    secret: 'test-secret-test-secret-test-secret!',
    runner: runner.runner,
    notifier,
    planPair: opts.planPair ?? instantPlans,
    docker: noDocker,
    stateDir: project.stateDir,
    tailMs: 5,
    retryMs: 20,
    signInPerMinute: opts.signInPerMinute ?? 1000,
    warn: () => {},
  });
  return {
    app,
    ctx,
    routes,
    ...project,
    runner,
    notifier,
    close: async () => {
      await ctx.jobs.stop(1000);
      await app.close();
      if (!opts.project) rmSync(project.dir, { recursive: true, force: true });
    },
  };
}

/** A browser-like client: keeps the session cookie, sends the Origin and the CSRF token. */
export class Client {
  cookie = '';
  csrf = '';

  constructor(private readonly app: FastifyInstance) {}

  async request(opts: InjectOptions & { url: string }): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({ ...opts, headers: { ...(this.cookie ? { cookie: this.cookie } : {}), ...opts.headers } });
    const set = res.cookies.find((c) => c.name === 'slipway_session');
    if (set) this.cookie = `slipway_session=${set.value}`;
    return res;
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    const res = await this.request({ method: 'GET', url });
    const token = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1];
    if (token) this.csrf = token;
    return res;
  }

  /** A JSON POST with the Origin and the token (unless overridden). */
  post(url: string, body: unknown = {}, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return this.request({ method: 'POST', url, payload: body as object, headers: { origin: ORIGIN, 'x-csrf-token': this.csrf, ...headers } });
  }

  /** A form POST as a browser sends it. */
  form(url: string, fields: Record<string, string>): Promise<LightMyRequestResponse> {
    return this.request({
      method: 'POST',
      url,
      payload: new URLSearchParams({ _csrf: this.csrf, ...fields }).toString(),
      headers: { origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    });
  }

  async signIn(name: string, password = 'pw-alice'): Promise<this> {
    await this.get('/signin');
    const res = await this.post('/api/signin', { name, password });
    if (res.statusCode !== 200) throw new Error(`sign-in as ${name}: ${res.statusCode} ${res.body}`);
    this.csrf = (res.json() as { csrf: string }).csrf;
    return this;
  }
}

/** Waits until `check` holds (the fake runner and the tail are asynchronous). */
export async function until(check: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
