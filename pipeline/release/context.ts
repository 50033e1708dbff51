// Builds what a pipeline command needs (engine, ledger, lock, smoke, signals, progress) from the CLI's
// context. Tests build a DeployContext themselves with an engine double instead.
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { loadStackFile, readStackConfig } from '../../stacks/load';
import type { DeployContext, Timing } from './deploy';
import type { EnginePort } from '../engine/port';
import { stackTagAnchor } from '../ledger/anchor';
import { defaultLedgerDir, Ledger } from '../ledger/store';
import { fileLock } from './lock';
import { processSink, type CommandContext } from '../cli/output';
import { humanProgress, jsonProgress } from './progress';
import { createPulumiEngine } from '../engine/automation';
import { cloudWatchSignals, noSignals } from './signals';
import { runSmokeChecks } from './smoke';

export interface PipelineFlags {
  /** Who is acting; default $SLIPWAY_ACTOR, $GITHUB_ACTOR, then the OS user. */
  actor?: string;
  /** Progress as JSON lines on stderr. */
  json?: boolean;
}

export interface PipelineOverrides {
  engine?: EnginePort;
  signal?: AbortSignal;
  timing?: Partial<Timing>;
  signals?: DeployContext['signals'];
}

export function actorOf(flags: PipelineFlags, env: CommandContext['env']): string {
  return flags.actor ?? env.SLIPWAY_ACTOR ?? env.GITHUB_ACTOR ?? safeUser();
}

/** The engine on the Pulumi CLI; `targetOf` answers first for stacks whose file is not written yet. */
export function pulumiEngineFor(ctx: CommandContext, targetOf?: (stack: string) => string | undefined): EnginePort {
  return createPulumiEngine({
    root: ctx.cwd,
    env: ctx.env as NodeJS.ProcessEnv,
    targetOf: (stack) => {
      const known = targetOf?.(stack);
      if (known) return known;
      const v = loadStackFile(stack, ctx.cwd);
      return v.ok ? v.config.target : undefined;
    },
  });
}

export function deployContext(ctx: CommandContext, flags: PipelineFlags, overrides: PipelineOverrides = {}): DeployContext {
  const stderr = { write: (s: string) => ctx.output.err(s.replace(/\n$/, '')), isTTY: false };
  const ledgerDir = defaultLedgerDir(ctx.cwd, ctx.env);
  const engine = overrides.engine ?? pulumiEngineFor(ctx);
  return {
    engine,
    // The ledger's head is anchored in the stack's backend (a stack tag): see pipeline/ledger/anchor.ts.
    ledger: new Ledger(ledgerDir, { anchor: stackTagAnchor(engine), warn: (line) => ctx.output.err(line) }),
    lock: fileLock(deploymentLockDir(ledgerDir)),
    smoke: runSmokeChecks,
    signals: overrides.signals ?? ((config, stack) => (config.target === 'aws' ? cloudWatchSignals(regionOf(ctx) ?? stackRegion(stack, ctx.cwd)) : noSignals)),
    // Straight to the terminal when there is one, so a long step shows its time ticking.
    progress: flags.json ? jsonProgress(stderr) : humanProgress(ctx.output === processSink && process.stderr.isTTY ? process.stderr : stderr),
    now: () => new Date(),
    sleep: (ms, signal) => delay(ms, undefined, signal ? { signal } : {}),
    actor: actorOf(flags, ctx.env),
    ...(overrides.signal ? { signal: overrides.signal } : {}),
    ...(overrides.timing ? { timing: overrides.timing } : {}),
  };
}

/**
 * An AbortSignal that fires on Ctrl-C or SIGTERM (what the console sends its jobs when it stops), so
 * long steps stop cleanly: the engine cancels its operation and releases Pulumi's stack lock. A second
 * signal exits at once (130, or 143 for SIGTERM).
 *
 * `on`, not `once`: the SDK's execa loads signal-exit, which re-raises a signal (killing the process,
 * and orphaning the CLI with the lock held) when no other listener is left when its own runs.
 */
export function interruptSignal(): AbortSignal {
  const ac = new AbortController();
  for (const [signal, what, code] of [['SIGINT', 'Ctrl-C', 130], ['SIGTERM', 'SIGTERM', 143]] as const) {
    process.on(signal, () => {
      if (ac.signal.aborted) process.exit(code);
      ac.abort(new Error(`interrupted (${what})`));
    });
  }
  return ac.signal;
}

/** The folder of the stacks' deployment locks, held by whichever slipway deploys (CLI or console job). */
export function deploymentLockDir(ledgerDir: string): string {
  return join(ledgerDir, '..', 'locks');
}

function regionOf(ctx: CommandContext): string | undefined {
  return ctx.env.AWS_REGION ?? ctx.env.AWS_DEFAULT_REGION;
}

/** `aws:region` of a stack file, for CloudWatch reads. */
export function stackRegion(stack: string, cwd: string): string | undefined {
  const raw = readStackConfig(stack, cwd);
  return typeof raw === 'object' && typeof raw['aws:region'] === 'string' ? raw['aws:region'] : undefined;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
