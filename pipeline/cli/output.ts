// What a command talks to instead of globals: where it runs, where its output goes, its environment.
// The CLI builds one per run from the process; tests build one around a temp dir and a memory sink.

/** Where a command writes. Each call is one line or block; the sink adds the newline. */
export interface OutputSink {
  /** Results: what a script would capture (stdout). */
  out(text: string): void;
  /** Diagnostics, progress and error lines (stderr). */
  err(text: string): void;
}

export interface CommandContext {
  /** Project root: holds Pulumi.yaml and stacks/. */
  cwd: string;
  output: OutputSink;
  /** Environment variables the command may read (not necessarily process.env). */
  env: Readonly<Record<string, string | undefined>>;
  /** `--verbose` or SLIPWAY_DEBUG=1: commands may print more detail to `output.err`. */
  verbose: boolean;
}

/** Writes to the process's stdout and stderr. */
export const processSink: OutputSink = {
  out: (text) => void process.stdout.write(`${text}\n`),
  err: (text) => void process.stderr.write(`${text}\n`),
};

export interface MemorySink extends OutputSink {
  /** Everything written with `out`, newline-terminated, as one string. */
  readonly stdout: string;
  readonly stderr: string;
}

/** Collects output in memory (tests, and callers that post-process a command's output). */
export function memorySink(): MemorySink {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (text) => void out.push(`${text}\n`),
    err: (text) => void err.push(`${text}\n`),
    get stdout() {
      return out.join('');
    },
    get stderr() {
      return err.join('');
    },
  };
}

/** A context for running a command programmatically: defaults to a memory sink and no env. */
export function commandContext(partial: Partial<CommandContext> & { cwd: string }): CommandContext {
  return { output: memorySink(), env: {}, verbose: false, ...partial };
}
