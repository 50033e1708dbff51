// Webhooks against a real HTTP receiver on 127.0.0.1 that checks the signature the way the README tells
// receivers to: HMAC-SHA256 over "<timestamp>.<raw body>", constant-time compare, timestamp within 5 min.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { DeploymentNotice } from '../../pipeline/console/events';
import { createNotifier, parseNotifications, type NotificationsInput } from '../../pipeline/console/notify';
import { freePort } from '../support/ports';
import { DIGEST, emailOf, notice } from './fixtures';

const KEY = 'whk-5e0c2a9b7d3f41e8a6';
const NOW = Date.parse('2026-12-01T13:04:50.000Z');

/** The receiver side, as the README's snippet does it. */
function verify(secret: string, headers: IncomingHttpHeaders, rawBody: string | Buffer, nowSeconds: number): 'ok' | 'stale' | 'bad signature' {
  const timestamp = String(headers['x-slipway-timestamp'] ?? '');
  const sent = String(headers['x-slipway-signature'] ?? '');
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > 300) return 'stale';
  const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex')}`;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b) ? 'ok' : 'bad signature';
}

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}
type Answer = { status: number; headers?: Record<string, string> } | 'hang' | 'reset';

const servers: Server[] = [];
const sockets = new Set<Socket>();
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** A receiver answering the n-th request (from 1) with `answer(n)`; it keeps every request it read. */
async function receiver(answer: (n: number, path: string) => Answer = () => ({ status: 204 })) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const a = answer(received.length, req.url ?? '');
      if (a === 'reset') return req.socket.destroy();
      if (a === 'hang') return;
      res.writeHead(a.status, a.headers);
      res.end('answer body');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, received };
}

async function send(input: NotificationsInput, n: DeploymentNotice, timeoutMs = 2000) {
  const parsed = parseNotifications(input);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const errors: string[] = [];
  const notifier = createNotifier(parsed.config, {
    env: { SLIPWAY_HOOK_KEY: KEY },
    emailOf,
    onError: (line) => errors.push(line),
    webhook: { timeoutMs, retryDelayMs: 20, now: () => NOW },
  });
  await expect(notifier.notify(n)).resolves.toBeUndefined();
  return errors;
}

const hook = (url: string, more: Record<string, unknown> = {}): NotificationsInput => ({ webhooks: [{ url, secretEnv: 'SLIPWAY_HOOK_KEY', ...more }] });

describe('signed webhooks', () => {
  it('POSTs the notice as JSON, signed over the timestamp and the exact body', async () => {
    const r = await receiver();
    const errors = await send(hook(`${r.url}/slipway`), notice({ kind: 'failed', reason: 'smoke check /healthz answered 503' }));
    expect(errors).toEqual([]);
    expect(r.received).toHaveLength(1);
    const req = r.received[0]!;
    expect(req.path).toBe('/slipway');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-slipway-event']).toBe('failed');
    expect(req.headers['x-slipway-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    expect(req.headers['x-slipway-timestamp']).toBe(String(NOW / 1000));
    expect(JSON.parse(req.body)).toEqual({
      kind: 'failed',
      stack: 'staging',
      deployment: 'd-20261201-130448-75b1',
      version: '1.4.0',
      digest: DIGEST,
      requester: 'alice',
      appUrl: 'https://shop-staging.example.com',
      consoleUrl: 'https://console.example.com/deployments/d-20261201-130448-75b1',
      reason: 'smoke check /healthz answered 503',
      at: '2026-12-01T13:04:48.000Z',
    });
    expect(verify(KEY, req.headers, req.body, NOW / 1000)).toBe('ok');
    expect(JSON.stringify(req.headers) + req.body).not.toContain(KEY);
  });

  it('a receiver refuses a changed body, another timestamp, another key, and a replay 10 minutes on', async () => {
    const r = await receiver();
    await send(hook(r.url), notice());
    const req = r.received[0]!;
    expect(verify(KEY, req.headers, req.body.replace('1.4.0', '1.4.1'), NOW / 1000)).toBe('bad signature');
    expect(verify(KEY, { ...req.headers, 'x-slipway-timestamp': String(NOW / 1000 + 1) }, req.body, NOW / 1000)).toBe('bad signature');
    expect(verify('another-key-0123456789', req.headers, req.body, NOW / 1000)).toBe('bad signature');
    expect(verify(KEY, req.headers, req.body, NOW / 1000 + 600)).toBe('stale');
  });

  it("the README's verification snippet accepts a real request and refuses a replay", async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const snippet = /\*\*Verifying a webhook\.\*\*[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(snippet, 'README.md: the ```js block after **Verifying a webhook.**').toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'slipway-verify-'));
    try {
      writeFileSync(join(dir, 'verify.mjs'), snippet!);
      const { verifySlipway } = (await import(pathToFileURL(join(dir, 'verify.mjs')).href)) as {
        verifySlipway: (secret: string, headers: IncomingHttpHeaders, rawBody: string | Buffer, nowSeconds?: number) => boolean;
      };
      const r = await receiver();
      await send(hook(r.url), notice());
      const req = r.received[0]!;
      expect(verifySlipway(KEY, req.headers, Buffer.from(req.body), NOW / 1000)).toBe(true);
      expect(verifySlipway(KEY, req.headers, req.body.replace('alice', 'mallory'), NOW / 1000)).toBe(false);
      expect(verifySlipway(KEY, req.headers, req.body, NOW / 1000 + 301)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('appUrl is null while unknown; reason only when given', async () => {
    const r = await receiver();
    await send(hook(r.url), notice({ appUrl: undefined }));
    const body = JSON.parse(r.received[0]!.body) as Record<string, unknown>;
    expect(body.appUrl).toBeNull();
    expect('reason' in body).toBe(false);
  });

  it('sends only the kinds a webhook asks for', async () => {
    const r = await receiver();
    const input = hook(r.url, { events: ['failed', 'awaiting-approval'] });
    await send(input, notice({ kind: 'ready' }));
    await send(input, notice({ kind: 'awaiting-approval', approvers: ['bob'] }));
    expect(r.received.map((q) => q.headers['x-slipway-event'])).toEqual(['awaiting-approval']);
  });
});

describe('webhook failures: bounded, one retry at most, reported through onError', () => {
  it('a 5xx is retried once, with the same delivery id; success then is silent', async () => {
    const r = await receiver((n) => ({ status: n === 1 ? 502 : 200 }));
    expect(await send(hook(r.url), notice())).toEqual([]);
    expect(r.received).toHaveLength(2);
    expect(r.received[1]!.headers['x-slipway-delivery']).toBe(r.received[0]!.headers['x-slipway-delivery']);
    expect(verify(KEY, r.received[1]!.headers, r.received[1]!.body, NOW / 1000)).toBe('ok');
  });

  it('a 5xx twice is one line', async () => {
    const r = await receiver(() => ({ status: 503 }));
    expect(await send(hook(r.url), notice())).toEqual([`notification ready of d-20261201-130448-75b1: webhooks[0] (${r.url}): answered 503 (twice)`]);
    expect(r.received).toHaveLength(2);
  });

  it('a 4xx is not retried', async () => {
    const r = await receiver(() => ({ status: 401 }));
    expect(await send(hook(r.url), notice())).toEqual([`notification ready of d-20261201-130448-75b1: webhooks[0] (${r.url}): answered 401`]);
    expect(r.received).toHaveLength(1);
  });

  it('a redirect is not followed', async () => {
    const r = await receiver((_, path) => (path === '/elsewhere' ? { status: 200 } : { status: 307, headers: { location: '/elsewhere' } }));
    expect(await send(hook(`${r.url}/hook`), notice())).toEqual([
      `notification ready of d-20261201-130448-75b1: webhooks[0] (${r.url}): answered 307 (redirects are not followed)`,
    ]);
    expect(r.received.map((q) => q.path)).toEqual(['/hook']);
  });

  it('a receiver that never answers: each attempt times out, then one line', async () => {
    const r = await receiver(() => 'hang');
    const started = Date.now();
    expect(await send(hook(r.url), notice(), 200)).toEqual([`notification ready of d-20261201-130448-75b1: webhooks[0] (${r.url}): no answer within 200 ms (twice)`]);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.received).toHaveLength(2);
  });

  it('a connection reset, then a 200: delivered on the retry', async () => {
    const r = await receiver((n) => (n === 1 ? 'reset' : { status: 200 }));
    expect(await send(hook(r.url), notice())).toEqual([]);
    expect(r.received).toHaveLength(2);
  });

  it('nothing listening: connection refused, twice', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    expect(await send(hook(url), notice())).toEqual([`notification ready of d-20261201-130448-75b1: webhooks[0] (${url}): connection refused (twice)`]);
  });

  it('names a webhook by its origin alone, never its path (a token may sit there) nor its key', async () => {
    const r = await receiver(() => ({ status: 500 }));
    const errors = await send(hook(`${r.url}/services/T0K3N-secret-path`), notice());
    expect(errors).toHaveLength(1);
    expect(errors[0]).not.toContain('T0K3N');
    expect(errors[0]).not.toContain(KEY);
  });
});

describe('the notifier as a whole never throws', () => {
  it('a failing SMTP server and a failing webhook: both reported, notify resolves', async () => {
    const r = await receiver(() => ({ status: 500 }));
    const smtpPort = await freePort();
    const errors = await send({ smtp: { host: '127.0.0.1', port: smtpPort, from: 'slipway@example.com' }, ...hook(r.url) }, notice());
    expect(errors.sort()).toEqual([
      `notification ready of d-20261201-130448-75b1: mail to alice@example.com via 127.0.0.1:${smtpPort}: connection refused`,
      `notification ready of d-20261201-130448-75b1: webhooks[0] (${r.url}): answered 500 (twice)`,
    ]);
  });

  it('an onError that throws does not escape', async () => {
    const r = await receiver(() => ({ status: 400 }));
    const parsed = parseNotifications(hook(r.url));
    if (!parsed.ok) throw new Error('fixture');
    const notifier = createNotifier(parsed.config, {
      env: { SLIPWAY_HOOK_KEY: KEY },
      emailOf: () => {
        throw new Error('not used without smtp');
      },
      onError: () => {
        throw new Error('log sink down');
      },
    });
    await expect(notifier.notify(notice())).resolves.toBeUndefined();
  });

  it('a fetch that throws synchronously is reported, not thrown', async () => {
    const parsed = parseNotifications(hook('https://hooks.example.com/x'));
    if (!parsed.ok) throw new Error('fixture');
    const errors: string[] = [];
    const notifier = createNotifier(parsed.config, {
      env: { SLIPWAY_HOOK_KEY: KEY },
      emailOf,
      onError: (l) => errors.push(l),
      webhook: {
        retryDelayMs: 1,
        fetch: () => {
          throw Object.assign(new Error('boom'), { code: 'ECONNRESET' });
        },
      },
    });
    await expect(notifier.notify(notice())).resolves.toBeUndefined();
    expect(errors).toEqual(['notification ready of d-20261201-130448-75b1: webhooks[0] (https://hooks.example.com): connection reset (twice)']);
  });
});
