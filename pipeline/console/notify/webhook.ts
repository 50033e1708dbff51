// Signed webhooks: one JSON POST per notice to each webhook that asks for its kind.
//
// Signature scheme (what receivers check; README "Notifications" has a verification snippet):
//   X-Slipway-Timestamp: <unix seconds when the request was signed>
//   X-Slipway-Signature: sha256=<hex HMAC-SHA256, keyed with the webhook's secret, of "<timestamp>.<body>">
// where <body> is the exact bytes of the request body. Receivers recompute the HMAC over the raw body
// they received, compare in constant time, and refuse a timestamp more than 5 minutes from their
// clock, so a captured request cannot be replayed later. X-Slipway-Delivery is the same on the retry
// of one delivery, for receivers that want to drop a duplicate within the window.
//
// Bounded: 5 s per attempt, redirects are not followed (a 3xx is a failure), and at most one retry,
// only after a network error, a timeout or a 5xx. Failures come back as one line naming the webhook by
// its origin alone (a receiver's token may sit in its path); the secret is never in any line.
import { createHmac, randomUUID } from 'node:crypto';
import { networkProblem, raceAbort, type Fetch } from '../../release/http';
import type { DeploymentNotice, NotificationKind } from '../events';

export const SIGNATURE_HEADER = 'X-Slipway-Signature';
export const TIMESTAMP_HEADER = 'X-Slipway-Timestamp';
export const DELIVERY_HEADER = 'X-Slipway-Delivery';
export const EVENT_HEADER = 'X-Slipway-Event';

/** How far from the receiver's clock a timestamp may be before the request is refused (advice to receivers). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * The JSON body of a webhook request: the notice without its approver list, and `appUrl` null while
 * not known (a documented wire format: webhookPayload copies each field rather than the whole notice).
 */
export type WebhookPayload = Omit<DeploymentNotice, 'approvers' | 'appUrl'> & { appUrl: string | null };

export interface WebhookTarget {
  /** How reports name it, e.g. `webhooks[0] (https://hooks.example.com)`. */
  label: string;
  url: string;
  /** The HMAC key. */
  secret: string;
}

export interface WebhookOptions {
  /** Per attempt, until the response headers. Default 5000. */
  timeoutMs?: number;
  /** Wait before the one retry. Default 1000. */
  retryDelayMs?: number;
  /** Default: the global fetch. */
  fetch?: Fetch;
  /** Wall clock, for the timestamp. Default: `Date.now`. */
  now?: () => number;
}

export function webhookPayload(notice: DeploymentNotice): WebhookPayload {
  return {
    kind: notice.kind,
    stack: notice.stack,
    deployment: notice.deployment,
    version: notice.version,
    digest: notice.digest,
    requester: notice.requester,
    appUrl: notice.appUrl ?? null,
    consoleUrl: notice.consoleUrl,
    ...(notice.reason !== undefined ? { reason: notice.reason } : {}),
    at: notice.at,
  };
}

/** `sha256=<hex>`: the HMAC-SHA256 of `<timestamp>.<body>` keyed with `secret`. */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/** The headers of one signed request for `body`, signed at `nowMs`. */
export function signedHeaders(secret: string, body: string, nowMs: number, kind: NotificationKind, delivery: string): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return {
    'content-type': 'application/json',
    'user-agent': 'slipway-notify',
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: signature(secret, timestamp, body),
    [DELIVERY_HEADER]: delivery,
    [EVENT_HEADER]: kind,
  };
}

type Attempt = { ok: true } | { ok: false; problem: string; retry: boolean };

/** POSTs `notice` to `target`; resolves to undefined when it answered 2xx, or to one line saying why not. */
export async function postWebhook(target: WebhookTarget, notice: DeploymentNotice, opts: WebhookOptions = {}): Promise<string | undefined> {
  const body = JSON.stringify(webhookPayload(notice));
  const delivery = randomUUID();
  const first = await attempt(target, body, notice.kind, delivery, opts);
  if (first.ok) return undefined;
  if (!first.retry) return `${target.label}: ${first.problem}`;
  await new Promise((resolve) => setTimeout(resolve, opts.retryDelayMs ?? 1000));
  const second = await attempt(target, body, notice.kind, delivery, opts);
  if (second.ok) return undefined;
  const same = second.problem === first.problem;
  return `${target.label}: ${same ? `${second.problem} (twice)` : `${first.problem}, then on the retry ${second.problem}`}`;
}

async function attempt(target: WebhookTarget, body: string, kind: NotificationKind, delivery: string, opts: WebhookOptions): Promise<Attempt> {
  const fetchFn = opts.fetch ?? globalThis.fetch;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const now = opts.now ?? Date.now;
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort();
  }, timeoutMs);
  try {
    // Signed at each attempt, so a retry carries a fresh timestamp.
    const headers = signedHeaders(target.secret, body, now(), kind, delivery);
    const res = await raceAbort(fetchFn(target.url, { method: 'POST', body, headers, redirect: 'manual', signal: ctl.signal }), ctl.signal);
    // The answer's body is not read: nothing in it matters, and it may be endless.
    await res.body?.cancel().catch(() => {});
    if (res.status >= 200 && res.status < 300) return { ok: true };
    if (res.status >= 300 && res.status < 400) return { ok: false, problem: `answered ${res.status} (redirects are not followed)`, retry: false };
    return { ok: false, problem: `answered ${res.status}`, retry: res.status >= 500 };
  } catch (e) {
    if (timedOut) return { ok: false, problem: `no answer within ${timeoutMs} ms`, retry: true };
    return { ok: false, problem: networkProblem(e), retry: true };
  } finally {
    clearTimeout(timer);
  }
}
