// A real HAProxy (Debian's) on 127.0.0.1 in front of two real HTTP "slots": what the router test
// (test/real/haproxy-router.test.ts) and the switch benchmark (bench/switch.ts) drive (load: ./load.ts).
//
//   const blue = await startSlotServer('blue', '1.0.0');
//   const router = await startHaproxy((paths) => renderHaproxyConfig({ ..., routesFile: paths.routesFile }), routes);
//   await router.apply(newRoutes);   // the runtime API, as the product's RouterConfig does in the container
//   await router.stop();
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseRoutes, renderRoutes, routeCommands, ROUTES, type Routes } from '../../components/docker/haproxyConfig';
import { sleep } from './load';

/** Where Debian's `haproxy` package installs the binary; HAPROXY_BIN overrides it. */
export const HAPROXY_BIN = process.env.HAPROXY_BIN ?? '/usr/sbin/haproxy';

/** Installs Debian's haproxy when the binary is missing; one clear error when that is impossible. */
export async function ensureHostHaproxy(): Promise<string> {
  if (existsSync(HAPROXY_BIN)) return HAPROXY_BIN;
  const install = () =>
    execa('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'haproxy'], { reject: false, env: { DEBIAN_FRONTEND: 'noninteractive' } });
  let r = await install();
  if (r.exitCode !== 0) {
    await execa('apt-get', ['update', '-qq'], { reject: false });
    r = await install();
  }
  if (r.exitCode !== 0 || !existsSync(HAPROXY_BIN)) {
    const why = String(r.stderr || r.message).trim().split('\n').pop();
    throw new Error(`haproxy is not at ${HAPROXY_BIN} and \`apt-get install -y haproxy\` failed (${why}); install it as root or set HAPROXY_BIN`);
  }
  return HAPROXY_BIN;
}

/** `HAProxy version 2.6.12-1+deb12u4 2025/…` → `2.6.12`. */
export async function hostHaproxyVersion(): Promise<string> {
  const r = await execa(HAPROXY_BIN, ['-v'], { reject: false });
  const m = /HA-?Proxy version (\d+\.\d+\.\d+)/i.exec(`${r.stdout}\n${r.stderr}`);
  if (!m?.[1]) throw new Error(`cannot read the haproxy version from \`${HAPROXY_BIN} -v\`: ${String(r.stderr || r.message).trim()}`);
  return m[1];
}

export interface SlotServer {
  slot: string;
  version: string;
  port: number;
  /** Requests received so far, by method (a POST must arrive exactly once). */
  received: { method: string; path: string }[];
  close(): Promise<void>;
}

/**
 * An HTTP server standing in for one slot: every path answers 200 `{slot, version}`; `/slow?ms=N`
 * sends its headers at once and its body N ms later (a request visibly in flight).
 */
export async function startSlotServer(slot: string, version: string): Promise<SlotServer> {
  const sockets = new Set<Socket>();
  const received: SlotServer['received'] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://slot');
    received.push({ method: req.method ?? '', path: url.pathname });
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const body = JSON.stringify({ slot, version });
      if (url.pathname !== '/slow') return res.end(body);
      res.flushHeaders();
      setTimeout(() => res.end(body), Math.min(Number(url.searchParams.get('ms')) || 0, 30_000));
    });
  });
  server.keepAliveTimeout = 75_000; // as the app: longer than the router keeps idle connections
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  return {
    slot,
    version,
    port: (server.address() as AddressInfo).port,
    received,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Paths of one HAProxy run, for the config to name. */
export interface HaproxyPaths {
  dir: string;
  confPath: string;
  routesFile: string;
}

export interface HaproxyProcess extends HaproxyPaths {
  /**
   * Applies routes through the runtime API and checks the map HAProxy then holds. Returns
   * `performance.now()` just before the command was sent, to time a switch from.
   */
  apply(routes: Routes): Promise<{ at: number }>;
  /** Sends one runtime API command line and returns the answer. */
  runtime(line: string): Promise<string>;
  /** HAProxy's output so far (for failure messages). */
  output(): string;
  /** Soft stop (SIGUSR1), then SIGKILL after 5 s; the temp directory is removed. */
  stop(): Promise<void>;
}

/**
 * Starts HAProxy in the foreground with a config rendered for a temp directory, the routes map
 * written beside it, and waits until the given ports accept connections.
 */
export async function startHaproxy(
  render: (paths: HaproxyPaths) => string,
  routes: Routes,
  opts: { ports: number[]; runtimePort: number },
): Promise<HaproxyProcess> {
  const bin = await ensureHostHaproxy();
  const dir = await mkdtemp(join(tmpdir(), 'slipway-haproxy-'));
  const paths: HaproxyPaths = { dir, confPath: join(dir, 'haproxy.cfg'), routesFile: join(dir, 'routes.map') };
  await writeFile(paths.confPath, render(paths));
  await writeFile(paths.routesFile, renderRoutes(routes));
  await checkHaproxyConfig(paths.confPath);

  const child: ChildProcess = spawn(bin, ['-db', '-f', paths.confPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGUSR1');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    await rm(dir, { recursive: true, force: true });
  };
  const runtime = (line: string) => runtimeCommand(opts.runtimePort, line);
  try {
    const deadline = Date.now() + 5000;
    while (!(await Promise.all(opts.ports.map(accepts))).every(Boolean)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`haproxy did not start within 5s:\n${out}`);
      await sleep(20);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    ...paths,
    runtime,
    output: () => out,
    stop,
    apply: async (next) => {
      await writeFile(`${paths.routesFile}.next`, renderRoutes(next));
      await rename(`${paths.routesFile}.next`, paths.routesFile);
      const at = performance.now();
      const answer = await runtime(routeCommands(paths.routesFile, next));
      const held = parseRoutes(answer);
      for (const r of ROUTES) {
        if (held[r] !== next[r]) throw new Error(`haproxy holds ${r} -> ${held[r] ?? 'nothing'}, not ${next[r]}: ${answer.trim()}`);
      }
      return { at };
    },
  };
}

/** `haproxy -c` on a config file; rejects with HAProxy's message. */
export async function checkHaproxyConfig(confPath: string): Promise<void> {
  // Not -q: it silences the ALERT lines that say why a config is refused.
  const r = await execa(await ensureHostHaproxy(), ['-c', '-f', confPath], { reject: false });
  if (r.exitCode !== 0) throw new Error(`haproxy -c -f ${confPath} failed (exit ${r.exitCode}): ${String(r.stderr || r.stdout).trim()}`);
}

/** One command line to HAProxy's runtime API over TCP; resolves with the whole answer. */
export function runtimeCommand(port: number, line: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let answer = '';
    const timer = setTimeout(() => s.destroy(new Error(`runtime API on 127.0.0.1:${port} did not answer within ${timeoutMs} ms`)), timeoutMs);
    s.on('connect', () => s.write(`${line}\n`));
    s.on('data', (d) => (answer += d));
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}
