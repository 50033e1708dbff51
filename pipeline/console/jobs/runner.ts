// How a job's command runs: `node bin/slipway.mjs ARGS…` in the project, in a process group of its
// own (Ctrl-C on the console's terminal reaches the console, which then stops each job with one
// SIGTERM — the pipeline records the interruption and the same command resumes), with stdout and
// stderr going straight to the job's files. Tests pass a fake runner that writes those files itself.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SECRET_ENV } from '../session';

export interface RunningCommand {
  pid: number | undefined;
  /** The exit code; 128 + the signal's number when a signal ended it. */
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

export interface CommandIo {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** Receives the command's stderr: JSON progress lines, warnings, error lines. */
  logFile: string;
  /** Receives its stdout: the --json result. */
  outFile: string;
}

export type CommandRunner = (args: readonly string[], io: CommandIo) => RunningCommand;

const BIN = fileURLToPath(new URL('../../../bin/slipway.mjs', import.meta.url));

/** Runs this same CLI. The console's session key is not passed on. */
export const cliRunner: CommandRunner = (args, io) => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(io.env)) if (v !== undefined && k !== SECRET_ENV) env[k] = v;
  const out = openSync(io.outFile, 'a', 0o600);
  const err = openSync(io.logFile, 'a', 0o600);
  try {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: io.cwd, env: { ...env, NO_COLOR: '1' }, stdio: ['ignore', out, err], detached: true });
    const exited = new Promise<number | null>((resolve) => {
      child.once('error', () => resolve(null));
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : null)));
    });
    return { pid: child.pid, exited, kill: (signal) => void child.kill(signal) };
  } finally {
    closeSync(out);
    closeSync(err);
  }
};

/**
 * Whether a job left running by an earlier console is still there: the pid exists and, where the
 * system tells (Linux's /proc), it still runs this CLI — a pid the system gave to another process since
 * does not make a dead job look alive.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return true; // no /proc here: the pid is all there is to go by
  }
  return cmdline.split('\0').includes(BIN);
}
