// One HTTP GET with its own timeout, turned into an outcome instead of an exception: a slot that is
// still warming up refuses connections or hangs, and callers need to tell those apart, not crash.
// The only thing that throws is cancellation (the caller's AbortSignal), with the signal's reason.

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** Most of a response body that is read (1 MiB); a longer body stops the read and fails the check. */
export const RESPONSE_BODY_MAX_BYTES = 2 ** 20;

export type HttpOutcome =
  /** The server answered; `latencyMs` covers headers and the whole body. */
  | { kind: 'response'; status: number; body: string; latencyMs: number }
  /** The body was longer than `limitBytes`; reading stopped there and the connection was dropped. */
  | { kind: 'too-large'; status: number; limitBytes: number; latencyMs: number }
  /** No complete answer within the request's own timeout. */
  | { kind: 'timeout'; afterMs: number }
  /** The request failed below HTTP; `problem` is a short phrase such as "connection refused". */
  | { kind: 'network'; problem: string; latencyMs: number };

export interface GetOptions {
  /** Give up on this one request after this long (headers and body together). */
  timeoutMs: number;
  /** Cancels the request; `httpGet` then rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Default: the global fetch. */
  fetch?: Fetch;
  /** Monotonic milliseconds, for the latency. Default: `performance.now`. */
  now?: () => number;
  /** Stop reading a body longer than this. Default RESPONSE_BODY_MAX_BYTES. */
  maxBodyBytes?: number;
}

export async function httpGet(url: string, opts: GetOptions): Promise<HttpOutcome> {
  const { signal, timeoutMs } = opts;
  const fetchFn = opts.fetch ?? globalThis.fetch;
  const now = opts.now ?? (() => performance.now());
  const maxBytes = opts.maxBodyBytes ?? RESPONSE_BODY_MAX_BYTES;
  signal?.throwIfAborted();

  const ctl = new AbortController();
  let timedOut = false;
  const onAbort = () => ctl.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort();
  }, timeoutMs);
  const start = now();
  try {
    // Raced against our own signal too, so even a fetch that ignores its signal cannot hang us.
    const res = await raceAbort(
      (async () => {
        // redirect: manual, so a check expecting 301 sees the 301 the server sent.
        const r = await fetchFn(url, { signal: ctl.signal, redirect: 'manual', headers: { 'user-agent': 'slipway-smoke' } });
        return { status: r.status, body: await readBody(r, maxBytes) };
      })(),
      ctl.signal,
    );
    const latencyMs = Math.round(now() - start);
    if (res.body === undefined) return { kind: 'too-large', status: res.status, limitBytes: maxBytes, latencyMs };
    return { kind: 'response', status: res.status, body: res.body, latencyMs };
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    if (timedOut) return { kind: 'timeout', afterMs: timeoutMs };
    return { kind: 'network', problem: networkProblem(e), latencyMs: Math.round(now() - start) };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * The body as text, or undefined as soon as it passes `maxBytes` (the rest is never read: an endless
 * body must not fill the memory). A declared Content-Length over the limit stops it before reading.
 */
export async function readBody(res: Response, maxBytes: number): Promise<string | undefined> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    return undefined;
  }
  if (!res.body) return res.text();
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    text += decoder.decode(value, { stream: true });
  }
}

/** Resolves like `p`, or rejects with `signal.reason` as soon as the signal aborts. */
export async function raceAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  // The loser of the race must not surface later as an unhandled rejection.
  p.catch(() => {});
  signal.throwIfAborted();
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([p, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

// Error codes from Node's sockets, DNS and undici, as the phrases a person reads in a report.
const PROBLEMS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'connection closed by server',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS lookup failed)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connect timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host',
};

/**
 * A short phrase for a failed fetch. Decided by error codes (fetch wraps the socket error in
 * `cause`, and an AggregateError when it tried several addresses), never by message text.
 */
export function networkProblem(err: unknown): string {
  const codes = errorCodes(err);
  for (const code of codes) {
    const phrase = PROBLEMS[code];
    if (phrase) return phrase;
  }
  if (codes[0]) return `request failed (${codes[0]})`;
  const message = err instanceof Error ? (errorMessages(err).at(-1) ?? err.message) : String(err);
  return `request failed: ${message.split('\n')[0]}`;
}

function errorCodes(err: unknown, seen = new Set<unknown>()): string[] {
  if (err === null || typeof err !== 'object' || seen.has(err)) return [];
  seen.add(err);
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  const own = typeof e.code === 'string' ? [e.code] : [];
  const nested = [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])].flatMap((c) => errorCodes(c, seen));
  // Innermost first: the socket's code says more than a wrapper's.
  return [...nested, ...own];
}

function errorMessages(err: Error): string[] {
  const out: string[] = [];
  for (let e: unknown = err; e instanceof Error && out.length < 5; e = e.cause) out.push(e.message);
  return out;
}
