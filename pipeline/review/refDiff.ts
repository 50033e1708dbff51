// `slipway plan --diff BASE_REF`: every stack planned at a git ref and in the working tree, and diffed.
// Both sides are planned in a child process (planChild.ts): the SDK's mock runtime and the module
// cache are process-global, and each side must run its own code, not the code of the process that
// asks. The ref's tree and the child's output live in temp dirs that are removed however the command
// ends — done, failed, or interrupted (Ctrl-C, SIGTERM, SIGHUP).
import { execa, type ResultPromise } from 'execa';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants, tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UserError } from '../cli/errors';
import type { PlanResult } from './plan';
import { diffPlans, emptyPlan, isEmptyDiff, renderPlanDiff, summary, type PlanDiff } from './planDiff';

export type Side = 'base' | 'working tree';

export interface StackPlanDiff {
  stack: string;
  /** `added`/`removed`: the stack file exists only in the working tree / only at the ref. */
  status: 'added' | 'removed' | 'changed' | 'unchanged' | 'invalid';
  /** For `added`/`removed`, every resource of the environment as added/removed. */
  diff?: PlanDiff;
  /** For `invalid`: why a side could not be planned. */
  errors?: { side: Side; lines: string[] }[];
}

export interface RefPlanDiff {
  /** The ref as given, and the commit it names. */
  base: string;
  commit: string;
  stacks: StackPlanDiff[];
}

/** What the planner of one tree reports: its stack files, and a result for each stack asked for. */
export interface TreePlans {
  stacks: string[];
  plans: Record<string, PlanResult>;
}

/** Compares per stack; a stack absent on one side is a whole environment added or removed. */
export function diffTrees(base: TreePlans, work: TreePlans, only?: readonly string[]): StackPlanDiff[] {
  const names = [...new Set([...base.stacks, ...work.stacks])].filter((s) => !only || only.includes(s)).sort();
  return names.map((stack): StackPlanDiff => {
    const b = base.stacks.includes(stack) ? base.plans[stack] : undefined;
    const w = work.stacks.includes(stack) ? work.plans[stack] : undefined;
    const errors: { side: Side; lines: string[] }[] = [];
    if (b && !b.ok) errors.push({ side: 'base', lines: b.errors });
    if (w && !w.ok) errors.push({ side: 'working tree', lines: w.errors });
    if (errors.length > 0) return { stack, status: 'invalid', errors };
    const before = b?.ok ? b.plan : undefined;
    const after = w?.ok ? w.plan : undefined;
    if (!before && !after) return { stack, status: 'invalid', errors: [{ side: 'working tree', lines: ['the planner returned no plan'] }] };
    const diff = diffPlans(before ?? emptyPlan(stack), after ?? emptyPlan(stack));
    const status = !before ? 'added' : !after ? 'removed' : isEmptyDiff(diff) ? 'unchanged' : 'changed';
    return { stack, status, diff };
  });
}

export function renderRefDiff(r: RefPlanDiff): string[] {
  const lines = [`Plan diff: working tree against ${r.base} (${r.commit.slice(0, 12)})`, ''];
  for (const s of r.stacks) {
    const d = s.diff;
    if (s.status === 'added') lines.push(`${s.stack}: new environment (${d?.added.length ?? 0} resources)`);
    else if (s.status === 'removed') lines.push(`${s.stack}: environment removed (${d?.removed.length ?? 0} resources)`);
    else if (s.status === 'unchanged') lines.push(`${s.stack}: no changes`);
    else if (s.status === 'invalid') {
      lines.push(`${s.stack}: cannot be planned`);
      for (const e of s.errors ?? []) for (const l of e.lines) lines.push(`  ${e.side === 'base' ? r.base : 'working tree'}: ${l}`);
    } else if (d) {
      lines.push(`${s.stack}: ${summary(d)}`, ...renderPlanDiff(d));
    }
  }
  return lines;
}

export interface RefDiffOptions {
  /** The checkout: a git working tree holding stacks/. */
  cwd: string;
  base: string;
  /** Only these stacks (default: every stack file on either side). */
  stacks?: readonly string[];
}

/** Plans `base` and the working tree (in a child process) and diffs them per stack. */
export async function diffAgainstRef(opts: RefDiffOptions): Promise<RefPlanDiff> {
  const commit = await resolveCommit(opts.cwd, opts.base);
  return withScratch(async (scratch) => {
    const tree = await extractCommit(opts.cwd, commit, scratch);
    const [base, work] = (await planTrees([tree, opts.cwd], opts.stacks, scratch)) as [TreePlans, TreePlans];
    for (const s of opts.stacks ?? []) {
      if (!base.stacks.includes(s) && !work.stacks.includes(s)) {
        throw new UserError(`--stack: "${s}" has no stack file in the working tree or at ${opts.base} (stacks: ${[...new Set([...base.stacks, ...work.stacks])].sort().join(', ') || 'none'})`);
      }
    }
    return { base: opts.base, commit, stacks: diffTrees(base, work, opts.stacks) };
  });
}

/** Temp dirs and the child process of one `plan --diff`. */
export class Scratch {
  private readonly dirs = new Set<string>();
  /** The child process running now, killed on an interrupt so it stops writing into a removed dir. */
  child: ResultPromise | undefined;

  dir(prefix: string): string {
    const d = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.add(d);
    return d;
  }

  run<T extends ResultPromise>(child: T): T {
    this.child = child;
    return child;
  }

  removeAll(): void {
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    this.dirs.clear();
  }
}

const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs `work` with a Scratch removed at the end. A signal on the way removes it at once and exits
 * 128 + the signal's number (130 for Ctrl-C): without a listener Node would exit on the spot and
 * leave the temp trees behind. A listener also keeps execa's signal-exit from re-raising the signal.
 */
export async function withScratch<T>(work: (scratch: Scratch) => Promise<T>): Promise<T> {
  const scratch = new Scratch();
  const onSignal = (signal: NodeJS.Signals) => {
    scratch.child?.kill('SIGKILL');
    scratch.removeAll();
    process.exit(128 + (constants.signals[signal] ?? 0));
  };
  for (const s of EXIT_SIGNALS) process.on(s, onSignal);
  try {
    return await work(scratch);
  } finally {
    for (const s of EXIT_SIGNALS) process.off(s, onSignal);
    scratch.removeAll();
  }
}

async function resolveCommit(cwd: string, ref: string): Promise<string> {
  if (ref.startsWith('-')) throw new UserError(`--diff: "${ref}" is not a git ref`);
  const inRepo = await execa('git', ['rev-parse', '--git-dir'], { cwd, reject: false });
  if (inRepo.exitCode !== 0) throw new UserError(`--diff: ${cwd} is not inside a git repository`);
  const rev = await execa('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd, reject: false });
  if (rev.exitCode !== 0) throw new UserError(`--diff: "${ref}" is not a commit, branch or tag of this repository`);
  return rev.stdout.trim();
}

/**
 * The commit's copy of this project in a temp dir (no git metadata touched), with this checkout's
 * node_modules. A project in a subdirectory of its repository is taken from the same subdirectory.
 */
async function extractCommit(cwd: string, commit: string, scratch: Scratch): Promise<string> {
  const dir = scratch.dir('slipway-base-');
  const tar = join(dir, '.tree.tar');
  const where = await scratch.run(execa('git', ['rev-parse', '--show-toplevel', '--show-prefix'], { cwd }));
  const [top, prefix = ''] = where.stdout.split('\n').map((l) => l.trim().replace(/\/$/, ''));
  await scratch.run(execa('git', ['archive', '--format=tar', '-o', tar, prefix ? `${commit}:${prefix}` : commit], { cwd: top }));
  await scratch.run(execa('tar', ['-xf', tar, '-C', dir]));
  rmSync(tar);
  // Whatever the commit holds at node_modules (nothing, normally) gives way to this checkout's.
  rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
  symlinkSync(nodeModulesFor(cwd), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** The checkout's node_modules, else the one this code runs from. */
function nodeModulesFor(cwd: string): string {
  const own = join(cwd, 'node_modules');
  if (existsSync(own)) return realpathSync(own);
  const pkg = createRequire(import.meta.url).resolve('@pulumi/pulumi/package.json');
  return pkg.slice(0, pkg.lastIndexOf(`${sep}node_modules${sep}`) + `${sep}node_modules`.length);
}

/** Plans the stacks of each tree, in one child process, each tree with its own code. */
export async function planTrees(roots: readonly string[], stacks: readonly string[] | undefined, scratch: Scratch): Promise<TreePlans[]> {
  const outFile = join(scratch.dir('slipway-plans-'), 'plans.json');
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const child = fileURLToPath(new URL('./planChild.ts', import.meta.url));
  const args = ['--import', tsx, child, outFile, JSON.stringify(stacks ?? []), ...roots];
  const run = await scratch.run(execa(process.execPath, args, { cwd: roots[0], reject: false, all: true }));
  if (run.exitCode !== 0 || !existsSync(outFile)) {
    throw new UserError(`plan --diff: could not plan the stacks (${lastErrorLine(run.all ?? '') ?? `exit code ${run.exitCode}`})`);
  }
  return JSON.parse(readFileSync(outFile, 'utf8')) as TreePlans[];
}

function lastErrorLine(text: string): string | undefined {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^(\w*Error|error):/.test(l)) ?? lines.at(-1);
}
