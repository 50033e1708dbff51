// A real nginx on 127.0.0.1 in front of two real HTTP "slots": what the router
// test (test/real/nginx-router.test.ts) and the switch benchmark (bench/switch.ts) drive (load: ./load.ts).
//
//   const blue = await startSlotServer('blue', '1.0.0');
//   const router = await startNginx((runtime) => renderNginxConfig({ ..., runtime }));
//   await router.reload(newConfigText);   // rewrite the file, then SIGHUP the master
//   await router.stop();
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RouterRuntime } from '../../components/docker/nginxConfig';
import { sleep } from './load';

/** Where Debian's `nginx` package installs the binary; NGINX_BIN overrides it. */
export const NGINX_BIN = process.env.NGINX_BIN ?? '/usr/sbin/nginx';

/** The nginx binary, or a clear error saying how to get one. */
export function findNginx(): string {
  if (!existsSync(NGINX_BIN)) {
    throw new Error(`nginx not found at ${NGINX_BIN}: install it (apt-get install -y nginx) or set NGINX_BIN`);
  }
  return NGINX_BIN;
}

export interface SlotServer {
  slot: string;
  version: string;
  port: number;
  close(): Promise<void>;
}

/** An HTTP server standing in for one slot: every path answers 200 `{slot, version}`. */
export async function startSlotServer(slot: string, version: string): Promise<SlotServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ slot, version }));
    });
  });
  server.keepAliveTimeout = 70_000; // longer than nginx's upstream keepalive, so nginx closes first
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  return {
    slot,
    version,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface NginxProcess {
  /** Temp directory holding the config, pid file, logs and temp paths. */
  prefix: string;
  runtime: RouterRuntime;
  confPath: string;
  /**
   * Writes a new config (atomically), checks it with `nginx -t`, signals the master to reload, and
   * waits until the workers of the old config have exited: from then on only the new config serves.
   */
  reload(config: string): Promise<void>;
  /** Writes a new config without signalling; pair with `signalReload()` to time the reload alone. */
  writeConfig(config: string): Promise<void>;
  /**
   * SIGHUP to the master named in the pid file (what `nginx -s reload` does). Returns the old workers
   * and `performance.now()` just before the signal, to time the switch from.
   */
  signalReload(): Promise<{ oldWorkers: Set<number>; at: number }>;
  /** Waits until these workers (from `signalReload`) have exited. */
  settled(oldWorkers: Set<number>): Promise<void>;
  /** The error log so far (for failure messages). */
  errorLog(): Promise<string>;
  /** Graceful stop (SIGQUIT), then the temp directory is removed. */
  stop(): Promise<void>;
}

/**
 * Starts nginx in the foreground (master + workers, so reloads work) with a temp prefix, and waits
 * until its pid file exists and the given ports accept connections.
 */
export async function startNginx(render: (runtime: RouterRuntime) => string, ports: number[]): Promise<NginxProcess> {
  const bin = findNginx();
  const prefix = await mkdtemp(join(tmpdir(), 'slipway-nginx-'));
  // Run as root, nginx's workers drop to an unprivileged user that must reach the temp paths inside.
  await chmod(prefix, 0o755);
  const runtime: RouterRuntime = {
    pidFile: join(prefix, 'nginx.pid'),
    tempDir: prefix,
    errorLog: join(prefix, 'error.log'),
    accessLog: 'off',
  };
  const confPath = join(prefix, 'nginx.conf');
  // -e: the compiled-in error log (/var/log/nginx) is opened before the config is read.
  const base = ['-p', prefix, '-c', confPath, '-e', runtime.errorLog];
  const writeConfig = async (text: string) => {
    await writeFile(`${confPath}.next`, text);
    await rename(`${confPath}.next`, confPath);
  };
  await writeConfig(render(runtime));
  await run(bin, [...base, '-t', '-q']);

  const child: ChildProcess = spawn(bin, [...base, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const errorLog = async () => (await readFile(runtime.errorLog, 'utf8').catch(() => '')) + stderr;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGQUIT');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    await rm(prefix, { recursive: true, force: true });
  };
  const masterPid = async () => Number((await readFile(runtime.pidFile, 'utf8')).trim());
  const signalReload = async () => {
    const master = await masterPid();
    const oldWorkers = await childrenOf(master);
    const at = performance.now();
    process.kill(master, 'SIGHUP');
    return { oldWorkers, at };
  };
  const settled = async (old: Set<number>) => {
    const master = await masterPid();
    await waitFor(
      async () => {
        const now = await childrenOf(master);
        return now.size > 0 && ![...old].some((p) => now.has(p));
      },
      10_000,
      async () => `nginx's old workers did not exit within 10s:\n${await errorLog()}`,
    );
  };

  try {
    await waitFor(async () => existsSync(runtime.pidFile) && (await Promise.all(ports.map(accepts))).every(Boolean), 5000, async () => {
      return `nginx did not start within 5s:\n${await errorLog()}`;
    });
  } catch (e) {
    await stop();
    throw e;
  }

  return {
    prefix,
    runtime,
    confPath,
    writeConfig,
    signalReload,
    settled,
    errorLog,
    stop,
    reload: async (text) => {
      await writeConfig(text);
      await run(bin, [...base, '-t', '-q']);
      await settled((await signalReload()).oldWorkers);
    },
  };
}

/** Runs `nginx -t` on a config text (in a temp prefix); rejects with nginx's message. */
export async function checkConfig(text: string): Promise<void> {
  const bin = findNginx();
  const dir = await mkdtemp(join(tmpdir(), 'slipway-nginx-t-'));
  try {
    await writeFile(join(dir, 'nginx.conf'), text);
    await run(bin, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-t', '-q']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}


/** Child processes of `pid` (its workers), from the kernel's per-task children list. */
async function childrenOf(pid: number): Promise<Set<number>> {
  const tasks = await readdir(`/proc/${pid}/task`);
  const out = new Set<number>();
  for (const t of tasks) {
    const list = await readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '');
    for (const c of list.split(' ')) if (c.trim()) out.add(Number(c));
  }
  return out;
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

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, message: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(await message());
    await sleep(20);
  }
}

function run(bin: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr?.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${bin} ${args.join(' ')} failed (exit ${code}): ${err.trim()}`))));
  });
}

/** What one server block of a rendered router config does. */
export interface Route {
  listen: string;
  /** Value of the slot header it adds. */
  slot: string;
  /** `host:port` it proxies to, or `503` when it answers for a slot with no release. */
  target: string;
}

/**
 * Reads the routes back out of a rendered nginx.conf (listen, slot header, where it proxies), following
 * `proxy_pass` through `upstream` blocks and `set` variables: tests assert on behaviour, not on text.
 */
export function routesOf(conf: string): Route[] {
  const upstreams = new Map<string, string>();
  for (const m of conf.matchAll(/upstream\s+(\S+)\s*\{([^}]*)\}/g)) {
    const server = /server\s+([^\s;]+)/.exec(m[2] ?? '');
    if (m[1] && server?.[1]) upstreams.set(m[1], server[1]);
  }
  return conf
    .split(/\n\s*server\s*\{/)
    .slice(1)
    .map((block) => {
      const listen = /listen\s+([^\s;]+)/.exec(block)?.[1] ?? '';
      const slot = /add_header\s+X-Slipway-Slot\s+(\S+?)\s/.exec(block)?.[1] ?? '';
      const vars = new Map([...block.matchAll(/set\s+(\$\w+)\s+([^\s;]+);/g)].map((m) => [m[1]!, m[2]!]));
      let target = /return\s+(\d+)/.exec(block)?.[1] ?? '';
      let pass = /proxy_pass\s+([^\s;]+);/.exec(block)?.[1];
      if (pass) {
        pass = vars.get(pass) ?? pass;
        const host = pass.replace(/^http:\/\//, '');
        target = upstreams.get(host) ?? host;
      }
      return { listen, slot, target };
    });
}
