// The console's web server: Fastify over the same pipeline code the CLI runs. Pages are rendered on the
// server (views/), changes go through the API (routes/api.ts) as jobs that run the CLI itself
// (jobs/), and every response carries a strict Content-Security-Policy: no inline script or style,
// scripts and styles from the console's own /static files only.
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { firstLine } from '../cli/errors';
import { defaultLedgerDir } from '../ledger/store';
import { execaRunner, type Runner } from '../release/build';
import { ArtifactCatalog } from './artifacts';
import type { ConsoleConfig } from './config';
import { silentNotifier, type Notifier } from './events';
import { registerGuard } from './guard';
import { errorPage } from './html';
import { HttpError } from './httpError';
import { BODY_LIMIT } from './input';
import { JobManager } from './jobs/manager';
import { cliRunner, type CommandRunner } from './jobs/runner';
import { JobStore } from './jobs/store';
import { childPlanner, ReleasePlanner, type PlanPair } from './releasePlan';
import { registerApi } from './routes/api';
import { registerEvents } from './routes/events';
import { registerPages } from './routes/pages';
import { SignedOut } from './session';
import { ConsoleState, defaultStateDir } from './state';

export interface ConsoleOptions {
  /** The project: holds stacks/ (and, by default, .slipway/). */
  cwd: string;
  config: ConsoleConfig;
  /** Environment for the jobs' commands (and `$SLIPWAY_LEDGER_DIR`). */
  env: Readonly<Record<string, string | undefined>>;
  /** The key that signs sessions. */
  secret: string;
  /** Where links in notifications point (default: the configuration's publicUrl, else http://127.0.0.1:8400). */
  publicUrl?: string;
  notifier?: Notifier;
  /** Runs a job's command (default: this CLI in a child process). */
  runner?: CommandRunner;
  /** Plans a release change (default: a child process of the offline planner). */
  planPair?: PlanPair;
  /** Asks Docker for local images (default: the docker CLI). */
  docker?: Runner;
  /** Jobs and their logs (default: .slipway/console). */
  stateDir?: string;
  /** Sign-in attempts allowed per address and minute. */
  signInPerMinute?: number;
  now?: () => Date;
  /** How often a running job's log is read, ms. */
  tailMs?: number;
  /** How often a queue blocked by a lock held elsewhere looks again, ms. */
  retryMs?: number;
  /** Where the console reports what it cannot tell a requester (a failed notification). */
  warn?: (line: string) => void;
}

/** Everything the routes use. */
export interface ConsoleContext {
  config: ConsoleConfig;
  secret: string;
  state: ConsoleState;
  jobs: JobManager;
  artifacts: ArtifactCatalog;
  planner: ReleasePlanner;
  signedOut: SignedOut;
  now: () => number;
  signInPerMinute: number;
}

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/** Whether to answer with a page (a browser's form or navigation) rather than JSON. */
export function wantsHtml(request: FastifyRequest): boolean {
  if (request.method === 'GET') return !(request.headers.accept ?? '').includes('application/json');
  return (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
}

function sendError(request: FastifyRequest, reply: FastifyReply, status: number, message: string): FastifyReply {
  reply.code(status);
  if (wantsHtml(request)) {
    const viewer = request.auth ? { ...(request.auth.user ? { user: request.auth.user.name } : {}), csrf: request.auth.csrf } : { csrf: '' };
    return reply.type('text/html; charset=utf-8').send(errorPage(viewer, status, message));
  }
  return reply.send({ error: message });
}

/** Fastify's own request errors, as one line naming what was wrong. */
function frameworkMessage(error: { code?: string; statusCode?: number; message: string }): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `body: larger than the ${BODY_LIMIT}-byte limit`;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'content-type: send application/json or application/x-www-form-urlencoded';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'body: empty, but the content type says JSON';
    default:
      if (error.statusCode === 429) return 'too many sign-in attempts from this address; wait a minute';
      return `body: ${firstLine(error.message)}`;
  }
}

/**
 * Builds the console (not listening yet). Call `ctx.jobs.stop()` and `app.close()` to end it.
 * `routes` lists every route registered, as `METHOD /path` (docs/console.md must list the writes).
 */
export async function buildConsole(opts: ConsoleOptions): Promise<{ app: FastifyInstance; ctx: ConsoleContext; routes: string[] }> {
  const now = opts.now ?? (() => new Date());
  const state = new ConsoleState(opts.cwd, defaultLedgerDir(opts.cwd, opts.env));
  const publicUrl = (opts.publicUrl ?? opts.config.publicUrl ?? 'http://127.0.0.1:8400').replace(/\/$/, '');
  const jobs = new JobManager({
    store: new JobStore(opts.stateDir ?? defaultStateDir(opts.cwd)),
    state,
    runner: opts.runner ?? cliRunner,
    notifier: opts.notifier ?? silentNotifier,
    urlOf: (path) => `${publicUrl}${path}`,
    cwd: opts.cwd,
    env: opts.env,
    now,
    ...(opts.tailMs !== undefined ? { tailMs: opts.tailMs } : {}),
    ...(opts.retryMs !== undefined ? { retryMs: opts.retryMs } : {}),
    ...(opts.warn ? { warn: opts.warn } : {}),
  });
  await jobs.init();
  const ctx: ConsoleContext = {
    config: opts.config,
    secret: opts.secret,
    state,
    jobs,
    artifacts: new ArtifactCatalog(state, opts.docker ?? execaRunner),
    planner: new ReleasePlanner(opts.planPair ?? childPlanner(opts.cwd)),
    signedOut: new SignedOut(),
    now: () => now().getTime(),
    signInPerMinute: opts.signInPerMinute ?? 10,
  };

  // forceCloseConnections: a browser following a job keeps its event stream open; closing must not wait for it.
  const app = Fastify({ bodyLimit: BODY_LIMIT, trustProxy: opts.config.proxy?.addresses ?? false, logger: false, forceCloseConnections: true });
  await app.register(cookie, { secret: opts.secret });
  await app.register(formbody, { bodyLimit: BODY_LIMIT });
  await app.register(rateLimit, { global: false });
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers({ ...SECURITY_HEADERS, 'Cache-Control': 'no-store' });
  });
  registerGuard(app, { config: opts.config, secret: opts.secret, signedOut: ctx.signedOut, now: ctx.now });
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof HttpError) return sendError(request, reply, error.status, error.message);
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return sendError(request, reply, status, frameworkMessage(error));
    (opts.warn ?? ((l: string) => process.stderr.write(`${l}\n`)))(`console: internal error on ${request.method} ${request.url}: ${error.stack ?? error.message}`);
    return sendError(request, reply, 500, 'internal error (a bug in Slipway; the console printed its stack trace)');
  });
  app.setNotFoundHandler((request, reply) => sendError(request, reply, 404, `${request.method} ${request.url.split('?')[0]}: no such page or route`));
  const routes: string[] = [];
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push(`${m} ${r.url}`);
  });
  registerPages(app, ctx);
  registerEvents(app, ctx);
  registerApi(app, ctx);
  return { app, ctx, routes };
}
