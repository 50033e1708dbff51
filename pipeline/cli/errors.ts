// The few ways a Slipway command can end badly. Commands throw these; the CLI entry point maps them
// to exit codes in one place (exitCodeFor) and prints expected ones without a stack trace.

/** Exit codes of the `slipway` command. */
export const EXIT = {
  ok: 0,
  /** Invalid configuration, failed checks, failed deployment. */
  failure: 1,
  /** `slipway drift`: resources were changed outside Pulumi. */
  drift: 2,
  /** The deployment waits for a person's approval; re-run `approve` / resume later. */
  awaitingApproval: 3,
  /** Another deployment holds the stack's lock. */
  lockHeld: 4,
  /** Unknown command or flag, missing argument (sysexits EX_USAGE). */
  usage: 64,
  /** A bug in Slipway (sysexits EX_SOFTWARE). */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An outcome the user can act on: printed as its problem lines, never with a stack trace. */
export abstract class SlipwayError extends Error {
  /** One line per problem, each complete on its own (file and key included where there is one). */
  readonly problems: string[];

  constructor(problems: string | readonly string[]) {
    const lines = typeof problems === 'string' ? [problems] : [...problems];
    super(lines.join('\n'));
    this.problems = lines;
    this.name = new.target.name;
  }
}

/** Bad input: an invalid stack file, a missing file, a value out of range. */
export class UserError extends SlipwayError {}

/** The command line itself is wrong: unknown command or flag, missing argument. */
export class UsageError extends UserError {}

/** A check ran and failed: smoke test, health check, alarm, policy. */
export class CheckFailed extends SlipwayError {}

/** An engine operation (a `pulumi up`, refresh, …) failed: a provider's error, not a bug in Slipway. */
export class EngineFailed extends SlipwayError {
  constructor(problem: string, options?: { cause?: unknown }) {
    super(problem);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** Another deployment holds the stack (Pulumi's stack lock); nothing was changed. */
export class LockHeld extends SlipwayError {}

/** Resources were changed outside Pulumi (`slipway drift`); nothing was changed by Slipway. */
export class DriftDetected extends SlipwayError {}

/** The deployment stopped at an approval gate; it resumes once someone approves. */
export class AwaitingApproval extends SlipwayError {}

/** A bug: an invariant broke. Carries the original error when there is one. */
export class InternalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InternalError';
  }
}

/** The one mapping from errors to exit codes. Anything unrecognised is a bug. */
export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof AwaitingApproval) return EXIT.awaitingApproval;
  if (error instanceof DriftDetected) return EXIT.drift;
  if (error instanceof LockHeld) return EXIT.lockHeld;
  if (error instanceof UserError || error instanceof CheckFailed || error instanceof EngineFailed) return EXIT.failure;
  return EXIT.internal;
}

/** The first non-blank line of an error's message: what a one-line report or ledger entry shows. */
export function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n').find((l) => l.trim()) ?? 'unknown error';
}
