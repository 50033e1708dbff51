// The example artifact as a real process on a free port, spoken to over real HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';

const SERVER = new URL('../app/server.mjs', import.meta.url).pathname;
const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL('../app/package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface RunningApp {
  url: string;
  proc: ChildProcess;
  /** Everything the app printed so far. */
  output(): string;
  /** Resolves when a printed line matches `re`; rejects if the app exits first or 10 s pass. */
  waitFor(re: RegExp): Promise<string>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

const running: RunningApp[] = [];
afterEach(() => {
  for (const app of running.splice(0)) if (app.proc.exitCode === null) app.proc.kill('SIGKILL');
});

/** Starts the app with PORT=0 (the kernel picks a free port) and reads the port from its log. */
async function startApp(env: Record<string, string> = {}): Promise<RunningApp> {
  const proc = spawn(process.execPath, [SERVER], {
    env: { PATH: process.env.PATH, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const w of [...waiters]) {
      const line = text.split('\n').find((l) => w.re.test(l));
      if (line !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const waitFor = (re: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`app never printed ${re}; output:\n${text}`)), 10000);
      const done = (line: string) => {
        clearTimeout(timer);
        resolve(line);
      };
      waiters.push({ re, resolve: done });
      onData(Buffer.alloc(0));
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`app exited (${code}) before printing ${re}; output:\n${text}`));
      });
    });
  const app: RunningApp = { url: '', proc, output: () => text, waitFor, exited };
  running.push(app);
  const listening = await waitFor(/listening on :\d+/);
  app.url = `http://127.0.0.1:${/listening on :(\d+)/.exec(listening)![1]}`;
  return app;
}

/** One request on a fresh connection (no keep-alive pool): resolves with the status, rejects with the socket error. */
function freshGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('example app', () => {
  it('answers /healthz with 200 ok', async () => {
    const app = await startApp();
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
  });

  it('reports version, commit and slot from the environment', async () => {
    const app = await startApp({ APP_VERSION: '2.3.4', GIT_COMMIT: 'abc123', SLOT: 'green' });
    const res = await fetch(`${app.url}/version`);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ version: '2.3.4', commit: 'abc123', slot: 'green' });
  });

  it('falls back to its package.json version when no version is set', async () => {
    const app = await startApp();
    expect(await (await fetch(`${app.url}/version`)).json()).toEqual({ version: PACKAGE_VERSION, commit: 'unknown', slot: null });
  });

  it('says on /healthz/detail whether DATABASE_URL is set, never its value, and logs none of it', async () => {
    const value = 'postgres://shop:s3cr3t-pa55@db.internal:5432/shop';
    const withDb = await startApp({ DATABASE_URL: value });
    const res = await fetch(`${withDb.url}/healthz/detail`);
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'application/json']);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({ database: 'set' });
    expect(body + withDb.output()).not.toMatch(/s3cr3t|db\.internal|postgres/);
    for (const env of [{}, { DATABASE_URL: '' }] as Record<string, string>[]) {
      const without = await startApp(env);
      expect(await (await fetch(`${without.url}/healthz/detail`)).json()).toEqual({ database: 'unset' });
    }
  });

  it('serves the catalogue the smoke checks look for', async () => {
    const app = await startApp();
    const res = await fetch(`${app.url}/api/items`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('"items"');
    const items = (JSON.parse(body) as { items: { id: number; name: string }[] }).items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => typeof i.name === 'string' && i.name !== '')).toBe(true);
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    const app = await startApp();
    expect((await fetch(`${app.url}/nope`)).status).toBe(404);
    const post = await fetch(`${app.url}/healthz`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('refuses a PORT that is not a port, naming it', async () => {
    const proc = spawn(process.execPath, [SERVER], { env: { PORT: 'eighty' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain('PORT: "eighty" is not a whole number from 0 to 65535');
  });

  it('on SIGTERM stops accepting, finishes the in-flight request, and exits 0', async () => {
    const app = await startApp({ DELAY_MS: '1500', GRACE_MS: '4000' });
    // Headers arrive before the delayed body, so once fetch resolves the request is in flight.
    const inFlight = await fetch(`${app.url}/api/items`);
    expect(inFlight.status).toBe(200);
    app.proc.kill('SIGTERM');
    await app.waitFor(/SIGTERM: shutting down, draining 1 in-flight request/);

    // Refused, or reset when the connection raced the listener's close in the kernel's backlog:
    // either way nothing new is served.
    await expect(freshGet(`${app.url}/healthz`)).rejects.toMatchObject({ code: expect.stringMatching(/^(ECONNREFUSED|ECONNRESET)$/) });
    expect((await inFlight.json()) as unknown).toMatchObject({ items: expect.any(Array) });
    expect(await app.exited).toBe(0);
    expect(app.output()).toContain('stopped');
  });

  it('exits on SIGTERM when idle without waiting out a keep-alive connection', async () => {
    // A held keep-alive socket would keep the server open past GRACE_MS, ending in exit 1 instead.
    const app = await startApp({ GRACE_MS: '3000' });
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200); // leaves a pooled keep-alive socket
    app.proc.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    expect(app.output()).toContain('draining 0 in-flight');
  });
});
