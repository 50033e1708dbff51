// The `slipway` command line: a thin table of commands. Each command lives in pipeline/cli/commands/ as a
// plain async function plus a `register…` function; errors become exit codes here and nowhere else.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT, exitCodeFor, SlipwayError } from './errors';
import { processSink, type CommandContext, type OutputSink } from './output';

/** Adds one command to the program; the command reads `ctx` when it runs, not when it registers. */
export type RegisterCommand = (program: Command, ctx: CommandContext) => void;

/** One command of the table: its module is imported only when that command runs. */
export interface CommandEntry {
  name: string;
  /** One line for `slipway --help`; the module's own description is shown by `slipway NAME --help`. */
  summary: string;
  load: () => Promise<RegisterCommand>;
}

/**
 * Every command, in help order. A new command is a file in pipeline/cli/commands/ and a line here.
 * Lazy: most modules pull in the Pulumi SDK or the AWS SDK, which take seconds to load, and
 * `--help` or `validate` need none of them.
 */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'validate', summary: 'check stack files against the configuration schema', load: async () => (await import('./commands/validate')).registerValidate },
  { name: 'plan', summary: "a stack's resources, computed offline (or what changed since a git ref)", load: async () => (await import('./commands/plan')).registerPlan },
  { name: 'parity', summary: 'compare two stacks offline: every difference must come from a declared knob', load: async () => (await import('./commands/parity')).registerParity },
  { name: 'preview', summary: 'what each stack would change, summarised for a pull request', load: async () => (await import('./commands/preview')).registerPreview },
  { name: 'build', summary: 'build the artifact image once and print its digest-pinned reference', load: async () => (await import('./commands/build')).registerBuild },
  { name: 'deploy', summary: 'deploy to the idle slot, smoke-test, (await approval,) switch, verify, or roll back', load: async () => (await import('./commands/deploy')).registerDeploy },
  { name: 'promote', summary: 'deploy the exact artifact live in another stack; never rebuilds', load: async () => (await import('./commands/deploy')).registerDeploy },
  { name: 'approve', summary: 'let a deployment waiting at its gate through', load: async () => (await import('./commands/approve')).registerApprove },
  { name: 'reject', summary: 'end a deployment at its gate; production stays as it is', load: async () => (await import('./commands/approve')).registerApprove },
  { name: 'rollback', summary: 'switch production traffic back to the other (warm) slot', load: async () => (await import('./commands/rollback')).registerRollback },
  { name: 'rebuild', summary: 'bring an environment back from its stack file and artifacts; records the recovery time', load: async () => (await import('./commands/rebuild')).registerRebuild },
  { name: 'drill', summary: 'rebuild the idle slot from nothing and smoke-test it; the live slot is untouched', load: async () => (await import('./commands/drill')).registerDrill },
  { name: 'status', summary: 'live slot, version in each slot, URLs, last deployment, pending approvals', load: async () => (await import('./commands/status')).registerStatus },
  { name: 'drift', summary: 'find resources changed outside Pulumi (exit 2 when there are any)', load: async () => (await import('./commands/drift')).registerDrift },
  { name: 'smoke', summary: "run a stack's smoke checks against a URL", load: async () => (await import('./commands/smoke')).registerSmoke },
  { name: 'history', summary: "a stack's deployments from its ledger, and what serves production now", load: async () => (await import('./commands/history')).registerHistory },
  { name: 'ledger', summary: 'the deployment ledger: verify it is intact', load: async () => (await import('./commands/ledger')).registerLedger },
  { name: 'backup', summary: "write a stack's state, stack file and ledger into one checksummed file", load: async () => (await import('./commands/backup')).registerBackup },
  { name: 'restore', summary: "import a backup's state into its stack (refuses changed or foreign backups)", load: async () => (await import('./commands/restore')).registerRestore },
  { name: 'schema', summary: 'print the configuration reference', load: async () => (await import('./commands/schema')).registerSchema },
  { name: 'console', summary: 'the self-service web console (deploy, approve, roll back, watch); `console hash-password` for its users', load: async () => (await import('./commands/console')).registerConsole },
];

/**
 * The commands to register for one command line: the one it names, loaded; otherwise (help, no
 * command, an unknown one) every command as a name and summary only, which is all help lists.
 */
export async function commandsFor(args: readonly string[], table: readonly CommandEntry[] = COMMANDS): Promise<RegisterCommand[]> {
  const words = args.filter((a) => !a.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  const entry = table.find((c) => c.name === name);
  if (entry) {
    const register = await entry.load();
    return [register];
  }
  return [
    (program) => {
      for (const c of table) program.command(c.name).summary(c.summary);
    },
  ];
}

export interface RunOptions {
  cwd?: string;
  output?: OutputSink;
  env?: Readonly<Record<string, string | undefined>>;
  /** Commands to register instead of the table's (tests pass their own to exercise error handling). */
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
  const program = buildProgram(ctx, opts.commands ?? (await commandsFor(args)));
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

export function buildProgram(ctx: CommandContext, commands: readonly RegisterCommand[]): Command {
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
