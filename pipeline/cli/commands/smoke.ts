// `slipway smoke --stack NAME --url URL [--expect-version V] [--deadline SECONDS] [--json]`: runs a
// stack's smoke checks against one URL (a slot, the test route, production) and reports each check.
import type { Command } from 'commander';
import { loadStackFile } from '../../../stacks/load';
import { existingStack } from '../args';
import { CheckFailed, UsageError, UserError } from '../errors';
import { show } from '../../../stacks/show';
import type { Fetch } from '../../release/http';
import type { CommandContext } from '../output';
import { baseUrlProblem, formatSmokeReport, runSmokeChecks, type SmokeReport } from '../../release/smoke';

export const DEFAULT_DEADLINE_SECONDS = 60;
export const MAX_DEADLINE_SECONDS = 3600;

export interface SmokeCommandOptions extends CommandContext {
  stack: string;
  /** Base URL the check paths are appended to, e.g. `http://127.0.0.1:8081`. */
  url: string;
  /** Also check that the app's version path reports this version. */
  expectVersion?: string;
  /** How long failing checks keep retrying, in seconds. Default 60. */
  deadlineSeconds?: number;
  /** Print the report as one JSON document instead of a table. */
  json?: boolean;
  /** Stops the run (e.g. on Ctrl-C); the command then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** HTTP client; default the global fetch. */
  fetch?: Fetch;
}

/** Runs the checks and prints the report; throws CheckFailed (after printing) when any check fails. */
export async function smoke(opts: SmokeCommandOptions): Promise<SmokeReport> {
  const urlProblem = baseUrlProblem(opts.url);
  if (urlProblem) throw new UsageError(`--url: ${urlProblem}`);
  const deadlineSeconds = opts.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS;
  if (!Number.isFinite(deadlineSeconds) || deadlineSeconds <= 0 || deadlineSeconds > MAX_DEADLINE_SECONDS) {
    throw new UsageError(`--deadline: ${deadlineSeconds} is not a number of seconds above 0 and at most ${MAX_DEADLINE_SECONDS}`);
  }
  if (opts.expectVersion !== undefined && opts.expectVersion.trim() === '') {
    throw new UsageError('--expect-version: must not be empty');
  }
  existingStack(opts.stack, opts.cwd);
  const loaded = loadStackFile(opts.stack, opts.cwd);
  if (!loaded.ok) throw new UserError(loaded.errors);
  const { app } = loaded.config;

  const report = await runSmokeChecks({
    baseUrl: opts.url,
    checks: app.smoke,
    versionPath: app.versionPath,
    deadlineMs: deadlineSeconds * 1000,
    ...(opts.expectVersion !== undefined ? { expectVersion: opts.expectVersion } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  opts.output.out(opts.json ? JSON.stringify(report, null, 2) : formatSmokeReport(report));
  if (!report.ok) {
    throw new CheckFailed(
      report.checks.filter((c) => !c.ok).map((c) => `smoke ${c.name} (${report.url}${c.path}): ${c.reason ?? 'failed'}`),
    );
  }
  return report;
}

/** `--deadline` as typed: a positive number of seconds. */
export function parseDeadline(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0 || n > MAX_DEADLINE_SECONDS) {
    throw new UsageError(`--deadline: ${show(raw)} is not a number of seconds above 0 and at most ${MAX_DEADLINE_SECONDS}`);
  }
  return n;
}

export function registerSmoke(program: Command, ctx: CommandContext): void {
  program
    .command('smoke')
    .description("run a stack's smoke checks against a URL, retrying failing checks until the deadline")
    .requiredOption('-s, --stack <name>', 'stack whose app.smoke checks to run (stacks/Pulumi.<name>.yaml)')
    .requiredOption('-u, --url <url>', 'base URL the check paths are appended to, e.g. http://127.0.0.1:8081')
    .option('--expect-version <version>', "also require the app's versionPath to report this version")
    .option('--deadline <seconds>', `keep retrying failing checks this long (default ${DEFAULT_DEADLINE_SECONDS})`)
    .option('--json', 'print one JSON document: {ok, url, elapsedMs, checks: [{name, path, ok, status, latencyMs, attempts, reason}]}')
    .action(async (flags: { stack: string; url: string; expectVersion?: string; deadline?: string; json?: boolean }) => {
      await smoke({
        ...ctx,
        stack: flags.stack,
        url: flags.url,
        ...(flags.expectVersion !== undefined ? { expectVersion: flags.expectVersion } : {}),
        ...(flags.deadline !== undefined ? { deadlineSeconds: parseDeadline(flags.deadline) } : {}),
        json: flags.json === true,
      });
    });
}
