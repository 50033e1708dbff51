// What a deployment will change, shown on the deploy page before anyone confirms it: the offline plan
// of the stack as it is, against the plan with the new release in the idle slot — the same planner and
// diff `slipway plan --diff` uses (review/plan.ts, review/planDiff.ts), run in a child process
// (releasePlanChild.ts). Results are kept per stack file, artifact and version: a plan takes seconds.
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { idleSlotOf } from '../../components/slots';
import type { SlipwayConfig, Slot } from '../../stacks/schema';
import type { PlanResult } from '../review/plan';
import { diffPlans, isEmptyDiff, renderPlanDiff, summary, type PlanDiff } from '../review/planDiff';
import type { Artifact } from '../release/deploy';

export type ReleaseRelease = SlipwayConfig['release'];

export interface ReleasePlan {
  slot: Slot;
  /** What the idle slot runs now (null: nothing). */
  replaces: string | null;
  ok: boolean;
  /** When `ok` is false: why the stack could not be planned. */
  errors: string[];
  diff?: PlanDiff;
  summary: string;
  /** The diff as `slipway plan --diff` prints it. */
  lines: string[];
}

/** The release state a deployment of `artifact` would write: the artifact in the idle slot. */
export function releaseChange(config: SlipwayConfig, artifact: Pick<Artifact, 'ref' | 'version'>): { slot: Slot; release: ReleaseRelease } {
  const slot = idleSlotOf(config.release.live);
  return { slot, release: { ...config.release, [slot]: { image: artifact.ref, version: artifact.version } } };
}

/** Plans `stack` as it is and with `release`; [before, after], or one failed result. */
export type PlanPair = (stack: string, release: ReleaseRelease) => Promise<PlanResult[]>;

/** The real planner: a child process of this same code. */
export function childPlanner(cwd: string, timeoutMs = 120_000): PlanPair {
  return async (stack, release) => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-console-plan-'));
    try {
      const out = join(dir, 'plans.json');
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
      const child = fileURLToPath(new URL('./releasePlanChild.ts', import.meta.url));
      const r = await execa(process.execPath, ['--import', tsx, child, out, cwd, stack, JSON.stringify(release)], { cwd, reject: false, all: true, timeout: timeoutMs });
      if (r.exitCode !== 0 || !existsSync(out)) {
        const last = (r.all ?? '').split('\n').map((l) => l.trim()).filter(Boolean).at(-1);
        return [{ ok: false, errors: [`the plan could not be computed (${r.timedOut ? `over ${timeoutMs / 1000} s` : (last ?? `exit code ${r.exitCode}`)})`] }];
      }
      return JSON.parse(readFileSync(out, 'utf8')) as PlanResult[];
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

export function toReleasePlan(slot: Slot, replaces: string | null, results: PlanResult[]): ReleasePlan {
  const [before, after] = results;
  if (!before?.ok || !after?.ok) {
    const errors = results.flatMap((r) => (r.ok ? [] : r.errors));
    return { slot, replaces, ok: false, errors: errors.length ? errors : ['the planner returned no plan'], summary: 'cannot be planned', lines: [] };
  }
  const diff = diffPlans(before.plan, after.plan);
  return { slot, replaces, ok: true, errors: [], diff, summary: isEmptyDiff(diff) ? 'no changes' : summary(diff), lines: renderPlanDiff(diff) };
}

/** Plans release changes, remembering the last few (keyed by stack file content, artifact and version). */
export class ReleasePlanner {
  private readonly cache = new Map<string, Promise<ReleasePlan>>();

  constructor(
    private readonly planPair: PlanPair,
    private readonly size = 20,
  ) {}

  plan(stack: string, config: SlipwayConfig, artifact: Pick<Artifact, 'ref' | 'version'>): Promise<ReleasePlan> {
    const { slot, release } = releaseChange(config, artifact);
    const key = JSON.stringify([stack, config, artifact.ref, artifact.version]);
    let hit = this.cache.get(key);
    if (!hit) {
      const replaces = config.release[slot].version ?? null;
      hit = this.planPair(stack, release).then((r) => toReleasePlan(slot, replaces, r));
      hit.catch(() => this.cache.delete(key));
      this.cache.set(key, hit);
      if (this.cache.size > this.size) this.cache.delete(this.cache.keys().next().value!);
    }
    return hit;
  }
}
