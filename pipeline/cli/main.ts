// The `slipway` command line: a thin table of commands. Each command lives in pipeline/cli/commands/ as a
// plain async function plus a `register…` function; errors become exit codes here and nowhere else.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { registerApprove } from './commands/approve';
import { registerBuild } from './commands/build';
import { registerDeploy } from './commands/deploy';
import { registerHistory } from './commands/history';
import { registerLedger } from './commands/ledger';
import { registerDrift } from './commands/drift';
import { registerParity } from './commands/parity';
import { registerPlan } from './commands/plan';
import { registerPreview } from './commands/preview';
import { registerRollback } from './commands/rollback';
import { registerSchema } from './commands/schema';
import { registerSmoke } from './commands/smoke';
import { registerStatus } from './commands/status';
import { registerValidate } from './commands/validate';
import { EXIT, exitCodeFor, SlipwayError } from './errors';
import { processSink, type CommandContext, type OutputSink } from './output';

/** Adds one command to the program; the command reads `ctx` when it runs, not when it registers. */
export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

/** Every command, in help order. A new command is a file in pipeline/cli/commands/ and a line here. */
export const COMMANDS: readonly RegisterCommand[] = [
  registerValidate,
  registerPlan,
  registerParity,
  registerPreview,
  registerBuild,
  registerDeploy,
  registerApprove,
  registerRollback,
  registerStatus,
  registerDrift,
  registerSmoke,
  registerHistory,
  registerLedger,
  registerSchema,
];

export interface RunOptions {
  cwd?: string;
  output?: OutputSink;
  env?: Readonly<Record<string, string | undefined>>;
  /** The command table (default COMMANDS); tests pass their own to exercise error handling. */
  commands?: readonly RegisterCommand[];
}

/** Runs one command line (without `node` and the script) and returns its exit code. Never throws. */
export async function run(args: readonly string[], opts: RunOptions = {}): Promise<number> {
  const env = opts.env ?? process.env;
  const ctx: CommandContext = {
    cwd: opts.cwd ?? process.cwd(),
    output: opts.output ?? processSink,
    env,
    verbose: env.SLIPWAY_DEBUG === '1',
  };
  const program = buildProgram(ctx, opts.commands ?? COMMANDS);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    // Commander has already printed its own message (unknown command, missing option, help).
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    const verbose = ctx.verbose || program.opts<{ verbose?: boolean }>().verbose === true;
    report(error, ctx.output, verbose);
    return exitCodeFor(error);
  }
}

export function buildProgram(ctx: CommandContext, commands: readonly RegisterCommand[] = COMMANDS): Command {
  const program = new Command('slipway')
    .description('Blue-green environments (AWS ECS Fargate or local Docker) and the pipeline that deploys to them')
    .version(packageVersion(), '-V, --version')
    .option('--verbose', 'print stack traces of internal errors and more detail (also SLIPWAY_DEBUG=1)')
    // Settings set before .command() are inherited by every subcommand.
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.output.out(s.replace(/\n$/, '')),
      writeErr: (s) => ctx.output.err(s.replace(/\n$/, '')),
      outputError: (s, write) => write(s),
    })
    .hook('preAction', () => {
      if (program.opts<{ verbose?: boolean }>().verbose) ctx.verbose = true;
    });
  for (const register of commands) register(program, ctx);
  return program;
}

function report(error: unknown, output: OutputSink, verbose: boolean): void {
  if (error instanceof SlipwayError) {
    for (const line of error.problems) output.err(line);
    if (verbose && error.stack) output.err(error.stack);
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (verbose) output.err(`slipway: internal error: ${error instanceof Error && error.stack ? error.stack : message}`);
  else output.err(`slipway: internal error: ${message} (a bug in Slipway; --verbose or SLIPWAY_DEBUG=1 shows the stack trace)`);
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}
