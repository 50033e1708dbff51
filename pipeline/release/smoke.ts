// Smoke checks: the stack's `app.smoke` list (plus, when a version is expected, a check that the slot
// runs it) against one base URL. Before a switch they run against the idle slot with retries, since a
// slot that is warming up refuses connections or answers 502/503 for a while; after a switch they run
// single-shot, because during bake time a failure must count at once.
// Planning, judging and formatting are pure functions; `runSmokeChecks` is the thin loop around them.
import { setTimeout as delay } from 'node:timers/promises';
import type { SmokeCheck } from '../../stacks/schema';
import { show } from '../../stacks/show';
import { httpGet, raceAbort, type Fetch, type HttpOutcome } from './http';

/** One request to make and what its answer must look like. */
export interface SmokeTarget {
  name: string;
  path: string;
  status: number;
  bodyIncludes?: string;
  latencyMs: number;
  /** When set, the body must report this version (`{"version": …}` or the plain text itself). */
  version?: string;
}

export interface SmokeCheckResult {
  name: string;
  path: string;
  ok: boolean;
  /** HTTP status of the last attempt, when the server answered. */
  status?: number;
  /** Latency of the last attempt, when it completed. */
  latencyMs?: number;
  attempts: number;
  /** Why the last attempt failed; absent when the check passed. */
  reason?: string;
}

export interface SmokeReport {
  ok: boolean;
  url: string;
  elapsedMs: number;
  checks: SmokeCheckResult[];
}

export interface SmokeOptions {
  /** Where the slot answers, e.g. `http://127.0.0.1:8081` (a path prefix is kept). */
  baseUrl: string;
  /** The stack's `app.smoke` checks. */
  checks: readonly SmokeCheck[];
  /** The stack's `app.versionPath`; used when `expectVersion` is set. */
  versionPath: string;
  /** Adds a check that `versionPath` reports exactly this version. */
  expectVersion?: string;
  /**
   * Overall deadline in ms. Checks keep retrying while they fail until it passes; a request that is
   * under way at the deadline may still finish (it is bounded by its own timeout).
   */
  deadlineMs: number;
  /** Default true. `false`: exactly one attempt per check, whatever the deadline (post-switch bake). */
  retry?: boolean;
  /** First wait between attempts of one check, doubled after each failure. Default 200. */
  initialBackoffMs?: number;
  /** Longest wait between attempts. Default 2000. */
  maxBackoffMs?: number;
  /** Default: the global fetch. */
  fetch?: Fetch;
  /** Monotonic clock in ms, for latencies and the deadline. Default: `performance.now`. */
  now?: () => number;
  /** Waits between attempts; must reject or resolve when `signal` aborts. Default: a real timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). Default: `Math.random`. */
  random?: () => number;
  /** Cancels everything; `runSmokeChecks` then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

export const DEFAULT_BUDGET_MS = 1000;

/** The checks to run: the configured ones, plus a version check when a version is expected. */
export function smokeTargets(checks: readonly SmokeCheck[], versionPath: string, expectVersion?: string): SmokeTarget[] {
  const targets: SmokeTarget[] = checks.map((c) => ({
    name: c.name ?? c.path,
    path: c.path,
    status: c.status,
    latencyMs: c.latencyMs,
    ...(c.bodyIncludes !== undefined ? { bodyIncludes: c.bodyIncludes } : {}),
  }));
  if (expectVersion !== undefined) {
    // The version endpoint keeps the status and budget the stack gave it, if it has a check.
    const own = checks.find((c) => c.path === versionPath);
    targets.push({
      name: `version ${expectVersion}`,
      path: versionPath,
      status: own?.status ?? 200,
      latencyMs: own?.latencyMs ?? DEFAULT_BUDGET_MS,
      version: expectVersion,
    });
  }
  return targets;
}

/**
 * Timeout of one request: enough above the budget to report how slow a slow answer was, but bounded,
 * so a hung server costs one timeout per attempt instead of the whole deadline.
 */
export function requestTimeoutMs(budgetMs: number): number {
  return budgetMs + Math.min(Math.max(budgetMs, 250), 5000);
}

/** Wait before retry number `attempt + 1`: exponential, capped, with jitter in its upper half. */
export function backoffMs(attempt: number, initialMs: number, maxMs: number, random: () => number): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base / 2 + (random() * base) / 2);
}

/** `base` + `path`, keeping any path prefix of the base (`new URL(path, base)` would drop it). */
export function checkUrl(baseUrl: string, path: string): string {
  return baseUrl.replace(/\/+$/, '') + path;
}

/**
 * Why `url` cannot be a smoke-test base URL, or undefined when it can. Strict on purpose: a URL that
 * only parses after the WHATWG parser repairs it (padding, `http:1`, a host `1` meaning 0.0.0.1) would
 * be retried for the whole deadline against somewhere nobody meant.
 */
export function baseUrlProblem(url: string): string | undefined {
  if (url !== url.trim()) return `${show(url)} has leading or trailing spaces`;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${show(url)} is not a URL (expected http://host[:port] or https://…)`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `${show(url)} is not an http or https URL`;
  if (!/^https?:\/\/[^/?#]/i.test(url)) return `${show(url)} is not a URL (expected http://host[:port] or https://…)`;
  if (u.username || u.password) {
    u.username = u.password = '';
    return `${show(`${u.protocol}//***@${u.host}`)}: a URL with a user name or password is refused (smoke checks send no credentials, and the line would show them)`;
  }
  if (u.port === '0') return `${show(url)}: port 0 is not a port (1 to 65535)`;
  const typedHost = /^https?:\/\/(\[[^\]]*\]|[^/?#:]*)/i.exec(url)?.[1]?.toLowerCase();
  if (typedHost !== undefined && /^[\x21-\x7e]*$/.test(typedHost) && typedHost !== u.hostname) {
    return `${show(url)}: the host ${show(typedHost)} means ${u.hostname}; write ${u.hostname}`;
  }
  if (u.search || u.hash) return `${show(url)} must not have a query or fragment (check paths are appended to it)`;
  return undefined;
}

/** `final`: retrying cannot help (the answer itself is unacceptable), so the check fails at once. */
export type Verdict = { ok: true } | { ok: false; reason: string; final?: boolean };

/** Whether one attempt's outcome passes the target; the reason names the first thing wrong. */
export function judge(target: SmokeTarget, outcome: HttpOutcome): Verdict {
  if (outcome.kind === 'timeout') return fail(`timed out after ${outcome.afterMs} ms`);
  if (outcome.kind === 'network') return fail(outcome.problem);
  if (outcome.kind === 'too-large') return { ok: false, reason: `body is over the ${mib(outcome.limitBytes)} limit (stopped reading)`, final: true };
  if (outcome.status !== target.status) return fail(`expected ${target.status}, got ${outcome.status}`);
  if (target.bodyIncludes !== undefined && !outcome.body.includes(target.bodyIncludes)) {
    return fail(`body lacks ${quote(target.bodyIncludes)}`);
  }
  if (target.version !== undefined) {
    const reported = reportedVersion(outcome.body);
    if (reported === undefined) return fail('body reports no version');
    if (reported !== target.version) return fail(`version ${clip(reported)}, expected ${target.version}`);
  }
  if (outcome.latencyMs > target.latencyMs) return fail(`took ${outcome.latencyMs} ms, budget ${target.latencyMs} ms`);
  return { ok: true };
}

/** The version a body reports: `{"version": "1.2.3"}`, or the trimmed plain text itself. */
export function reportedVersion(body: string): string | undefined {
  const text = body.trim();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return text === '' ? undefined : text;
  }
  if (typeof json === 'string') return json;
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    const v = (json as Record<string, unknown>).version;
    return typeof v === 'string' ? v : undefined;
  }
  // A bare number such as 2 or 1.5 is a plain-text version that happens to parse as JSON.
  return typeof json === 'number' ? text : undefined;
}

/** Runs every check in parallel against `baseUrl` and reports each one's last attempt. */
export async function runSmokeChecks(opts: SmokeOptions): Promise<SmokeReport> {
  const now = opts.now ?? (() => performance.now());
  const sleep = opts.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
  const random = opts.random ?? Math.random;
  const retry = opts.retry ?? true;
  const initial = opts.initialBackoffMs ?? 200;
  const max = opts.maxBackoffMs ?? 2000;
  const { signal } = opts;
  signal?.throwIfAborted();

  const start = now();
  const deadline = start + opts.deadlineMs;

  const runOne = async (t: SmokeTarget): Promise<SmokeCheckResult> => {
    const url = checkUrl(opts.baseUrl, t.path);
    const timeoutMs = requestTimeoutMs(t.latencyMs);
    for (let attempts = 1; ; attempts++) {
      const outcome = await httpGet(url, { timeoutMs, now, ...(signal ? { signal } : {}), ...(opts.fetch ? { fetch: opts.fetch } : {}) });
      const verdict = judge(t, outcome);
      const remaining = deadline - now();
      if (verdict.ok || verdict.final || !retry || remaining <= 0) return result(t, outcome, verdict, attempts);
      // Never sleep past the deadline: the last attempt lands on it.
      await raceAbort(sleep(Math.min(backoffMs(attempts, initial, max, random), remaining), signal), signal);
    }
  };

  const checks = await Promise.all(smokeTargets(opts.checks, opts.versionPath, opts.expectVersion).map(runOne));
  return { ok: checks.every((c) => c.ok), url: opts.baseUrl, elapsedMs: Math.round(now() - start), checks };
}

function result(t: SmokeTarget, outcome: HttpOutcome, verdict: Verdict, attempts: number): SmokeCheckResult {
  return {
    name: t.name,
    path: t.path,
    ok: verdict.ok,
    ...(outcome.kind === 'response' || outcome.kind === 'too-large' ? { status: outcome.status } : {}),
    ...(outcome.kind !== 'timeout' ? { latencyMs: outcome.latencyMs } : {}),
    attempts,
    ...(verdict.ok ? {} : { reason: verdict.reason }),
  };
}

/** A compact table for people: one line per check, failures with their reason. */
export function formatSmokeReport(report: SmokeReport): string {
  const failed = report.checks.filter((c) => !c.ok).length;
  const total = report.checks.length;
  const head = report.ok
    ? `✓ smoke ${report.url}: ${total} of ${total} checks passed in ${seconds(report.elapsedMs)}`
    : `✗ smoke ${report.url}: ${failed} of ${total} checks failed in ${seconds(report.elapsedMs)}`;
  const rows = [
    ['', 'check', 'status', 'latency', 'attempts', ''],
    ...report.checks.map((c) => [
      c.ok ? '✓' : '✗',
      c.name,
      c.status === undefined ? '-' : String(c.status),
      c.latencyMs === undefined ? '-' : `${c.latencyMs} ms`,
      String(c.attempts),
      c.reason ?? '',
    ]),
  ];
  const width = (i: number) => Math.max(...rows.map((r) => (r[i] ?? '').length));
  // Numbers right-aligned, text left-aligned; the reason column is last and not padded.
  const right = new Set([2, 3, 4]);
  const lines = rows.map((r) =>
    ('  ' + r.map((cell, i) => (i === r.length - 1 ? cell : right.has(i) ? cell.padStart(width(i)) : cell.padEnd(width(i)))).join('  ')).trimEnd(),
  );
  return [head, ...lines].join('\n');
}

function fail(reason: string): Verdict {
  return { ok: false, reason };
}

function quote(s: string): string {
  return s.includes('"') && !s.includes("'") ? `'${s}'` : `"${s}"`;
}

function clip(s: string, max = 40): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function mib(bytes: number): string {
  return bytes >= 2 ** 20 && bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20} MiB` : `${bytes} bytes`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
