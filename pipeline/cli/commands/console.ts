// `slipway console [--port P] [--host H] [--config FILE]`: the self-service web console, over the same
// pipeline code as the CLI (each deployment it runs is this CLI in a child process).
// `slipway console hash-password`: a password read from stdin (never argv) → its scrypt hash, for the
// console configuration's `users[].passwordHash`.
import { InvalidArgumentError, type Command } from 'commander';
import { findUser, loadConsoleConfig } from '../../console/config';
import type { Notifier } from '../../console/events';
import { hashPassword } from '../../console/password';
import { SECRET_ENV, sessionSecret } from '../../console/session';
import { loadStackFile } from '../../../stacks/load';
import { UserError } from '../errors';
import type { CommandContext } from '../output';

export const DEFAULT_PORT = 8400;
export const DEFAULT_HOST = '127.0.0.1';
/** How long a stopping console waits for its jobs to record their interruption. */
const STOP_TIMEOUT_MS = 60_000;

export interface ConsoleCommandOptions extends CommandContext {
  port?: number;
  host?: string;
  /** The console configuration file (default `console.yaml`). */
  config?: string;
  /** Tells requesters and approvers how deployments went (default: the configuration's `notifications`). */
  notifier?: Notifier;
  /** Resolves to stop the console (default: the first SIGINT or SIGTERM). */
  stopWhen?: Promise<unknown>;
}

export interface RunningConsole {
  url: string;
  /** Stops the jobs (SIGTERM, waiting for them) and the server. */
  close(): Promise<void>;
}

export async function startConsole(opts: ConsoleCommandOptions): Promise<RunningConsole> {
  const file = opts.config ?? 'console.yaml';
  const { config, notifications } = loadConsoleConfig(file, opts.cwd);
  const { secret, generated } = sessionSecret(opts.env);
  // Mail and webhooks, from the same file; a secret it names but the environment lacks stops us here.
  const { createNotifier } = await import('../../console/notify/index');
  const notifier =
    opts.notifier ??
    createNotifier(notifications, {
      env: opts.env,
      emailOf: (name) => findUser(config, name)?.email,
      onError: (line) => opts.output.err(`console: ${line}`),
      appOf: (stack) => {
        const v = loadStackFile(stack, opts.cwd);
        return v.ok ? v.config.app.name : undefined;
      },
    });
  const host = opts.host ?? DEFAULT_HOST;
  const port = opts.port ?? DEFAULT_PORT;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  // The web server and its dependencies load only for this command.
  const { buildConsole } = await import('../../console/server');
  const { app, ctx } = await buildConsole({
    cwd: opts.cwd,
    config,
    env: opts.env,
    secret,
    publicUrl: config.publicUrl ?? `http://${shownHost}:${port}`,
    notifier,
    warn: (line) => opts.output.err(line),
  });
  try {
    await app.listen({ port, host });
  } catch (e) {
    await ctx.jobs.stop(0);
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'EADDRINUSE' ? `--port: ${port} is in use on ${host}` : `console: cannot listen on ${host}:${port} (${(e as Error).message})`);
  }
  const address = app.server.address();
  const url = `http://${shownHost}:${typeof address === 'object' && address ? address.port : port}`;
  if (generated) opts.output.err(`console: ${SECRET_ENV} is not set: sessions are signed with a key made for this process, so everyone signs in again after a restart`);
  opts.output.err(`console: listening on ${url} (${file}: ${config.users.length} user${config.users.length === 1 ? '' : 's'}); Ctrl-C stops it`);
  return {
    url,
    async close() {
      await ctx.jobs.stop(STOP_TIMEOUT_MS);
      await app.close();
    },
  };
}

/** The first SIGINT or SIGTERM; a second one exits at once (130), leaving running jobs to finish on their own. */
function stopSignal(output: CommandContext['output']): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const on = () => {
      if (stopping) process.exit(130);
      stopping = true;
      output.err('console: stopping; running jobs get SIGTERM and record their interruption (Ctrl-C again to exit at once)');
      resolve();
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export async function consoleCommand(opts: ConsoleCommandOptions): Promise<void> {
  const running = await startConsole(opts);
  await (opts.stopWhen ?? stopSignal(opts.output));
  await running.close();
}

/** The password: one line of stdin; on a terminal, typed without echo. */
export async function readPassword(stdin: NodeJS.ReadStream, prompt: (text: string) => void): Promise<string> {
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of stdin) chunks.push(Buffer.from(c as Buffer));
    return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  }
  prompt('Password (not shown): ');
  stdin.setRawMode(true);
  stdin.resume();
  try {
    let typed = '';
    for await (const c of stdin) {
      for (const ch of String(c)) {
        if (ch === '\r' || ch === '\n') return typed;
        if (ch === '\u0003') throw new UserError('hash-password: interrupted');
        typed = ch === '\u007f' || ch === '\b' ? typed.slice(0, -1) : typed + ch;
      }
    }
    return typed;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    prompt('\n');
  }
}

export async function hashPasswordCommand(opts: CommandContext & { stdin?: NodeJS.ReadStream }): Promise<string> {
  const password = await readPassword(opts.stdin ?? process.stdin, (t) => void process.stderr.write(t));
  if (password === '') throw new UserError('hash-password: stdin: no password (type it, or pipe it in: printf %s "$PASSWORD" | slipway console hash-password)');
  if (password.length > 1024) throw new UserError('hash-password: stdin: longer than 1024 characters');
  const hash = await hashPassword(password);
  opts.output.out(hash);
  return hash;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) throw new InvalidArgumentError(`"${value}" is not a port (1 to 65535)`);
  return n;
}

export function registerConsole(program: Command, ctx: CommandContext): void {
  const command = program
    .command('console')
    .description('the self-service web console: deploy, approve, roll back and watch deployments from a browser')
    .option('--port <port>', `port to listen on (default ${DEFAULT_PORT})`, parsePort)
    .option('--host <address>', `address to listen on (default ${DEFAULT_HOST}; behind a proxy, the address it reaches)`)
    .option('--config <file>', 'console configuration: users, deployers, trusted proxy (default console.yaml)')
    .action(async (f: { port?: number; host?: string; config?: string }) => {
      await consoleCommand({ ...ctx, ...f });
    });
  command
    .command('hash-password')
    .description("read a password from stdin (never from the command line) and print its scrypt hash for the console configuration's users[].passwordHash")
    .action(async () => {
      await hashPasswordCommand(ctx);
    });
}
