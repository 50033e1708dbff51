// Deploy benchmark on the real engine: a first deploy from an empty state, a deploy that switches, and a
// rollback, on the local Docker stack of a throwaway project copy (see test/engine/project.ts), run in
// this process so every engine call and check can be timed. Prints one JSON line:
//   {"first_deploy_ms","switch_deploy_ms","rollback_ms","rollback_up_ms","rollback_changes",
//    "overhead_ms":{"first","switch","rollback"},"engine_ms":{…},"up_ms":{…},"other_cli_ms":{…},
//    "checks_ms":{…},"build_ms":{…}}
// overhead: wall time minus time inside engine calls (every CLI call the adapter makes), checks
// (health, smoke, bake) and the image build. Goal: at most 250 ms per deploy. engine_ms splits into
// up_ms (the `up` operations) and other_cli_ms (stack select, config get/set, outputs: one CLI run
// each). The stack's bake time is set to 0 so the bake's sleep does not count anywhere.
//
//   npm run bench:deploy      (needs `npm run engine:build`, `npm run images:local`, a Docker engine)
import { performance } from 'node:perf_hooks';
import type { EnginePort, StackHandle } from '../pipeline/engine/port';
import { deployCommand } from '../pipeline/cli/commands/deploy';
import { rollbackCommand } from '../pipeline/cli/commands/rollback';
import { pulumiEngineFor } from '../pipeline/release/context';
import { memorySink, type CommandContext } from '../pipeline/cli/output';
import { engineProject } from '../test/engine/project';

interface Clock {
  engineMs: number;
  /** Duration of each `up`, in call order. */
  ups: { ms: number; changes: Record<string, number> }[];
}

/** The engine port with every call timed; nothing else changes. */
function timedEngine(engine: EnginePort, clock: Clock): EnginePort {
  const t = async <T>(fn: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      clock.engineMs += performance.now() - start;
    }
  };
  const wrap = (h: StackHandle): StackHandle => ({
    name: h.name,
    getConfig: () => t(() => h.getConfig()),
    setConfig: (v) => t(() => h.setConfig(v)),
    preview: (o) => t(() => h.preview(o)),
    up: async (o) => {
      const start = performance.now();
      const r = await t(() => h.up(o));
      clock.ups.push({ ms: performance.now() - start, changes: r.changes });
      return r;
    },
    refresh: (o) => t(() => h.refresh(o)),
    destroy: (o) => t(() => h.destroy(o)),
    outputs: () => t(() => h.outputs()),
    exportState: () => t(() => h.exportState()),
    importState: (s) => t(() => h.importState(s)),
    cancel: () => t(() => h.cancel()),
    getTag: (n) => t(() => h.getTag(n)),
    setTag: (n, v) => t(() => h.setTag(n, v)),
  });
  return {
    selectStack: (name) => t(() => engine.selectStack(name)).then(wrap),
    findStack: (name) => t(() => engine.findStack(name)).then((h) => h && wrap(h)),
  };
}

/** Milliseconds per step from the JSON progress lines a command wrote to stderr. */
function stepMs(stderr: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as { step?: string; status?: string; ms?: number };
    if (e.step && e.status !== 'started' && typeof e.ms === 'number') out[e.step] = (out[e.step] ?? 0) + e.ms;
  }
  return out;
}

const CHECKS = ['wait-healthy', 'smoke-idle', 'verify'];
const round = (ms: number) => Math.round(ms);

async function measure(ctx: CommandContext, fn: (c: CommandContext & { engine: EnginePort }) => Promise<unknown>) {
  const clock: Clock = { engineMs: 0, ups: [] };
  const output = memorySink();
  const c = { ...ctx, output };
  const engine = timedEngine(pulumiEngineFor(c), clock);
  const start = performance.now();
  try {
    await fn({ ...c, engine });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${output.stderr}`);
  }
  const wall = performance.now() - start;
  const steps = stepMs(output.stderr);
  const checks = CHECKS.reduce((sum, s) => sum + (steps[s] ?? 0), 0);
  const build = steps.build ?? 0;
  const upMs = clock.ups.reduce((sum, u) => sum + u.ms, 0);
  return { wall, engine: clock.engineMs, upMs, otherCli: clock.engineMs - upMs, checks, build, overhead: wall - clock.engineMs - checks - build, ups: clock.ups };
}

async function main(): Promise<void> {
  const p = await engineProject('bench');
  try {
    p.writeStack('local', { bakeSeconds: 0 });
    const ctx: CommandContext = { cwd: p.dir, output: memorySink(), env: { ...process.env, PULUMI_HOME: `${p.dir}/.pulumi-home`, SLIPWAY_ACTOR: 'bench' }, verbose: false };
    const deployOpts = (v: string) => ({ stack: 'local', build: 'app', baseImage: p.baseImage, appVersion: v, json: true });
    const first = await measure(ctx, (c) => deployCommand({ ...c, ...deployOpts('1.0.0') }));
    const second = await measure(ctx, (c) => deployCommand({ ...c, ...deployOpts('2.0.0') }));
    const back = await measure(ctx, (c) => rollbackCommand({ ...c, stack: 'local', json: true }));
    const rollbackUp = back.ups.at(-1);
    console.log(
      JSON.stringify({
        first_deploy_ms: round(first.wall),
        switch_deploy_ms: round(second.wall),
        rollback_ms: round(back.wall),
        rollback_up_ms: round(rollbackUp?.ms ?? NaN),
        rollback_changes: rollbackUp?.changes ?? null,
        overhead_ms: { first: round(first.overhead), switch: round(second.overhead), rollback: round(back.overhead) },
        engine_ms: { first: round(first.engine), switch: round(second.engine), rollback: round(back.engine) },
        up_ms: { first: round(first.upMs), switch: round(second.upMs), rollback: round(back.upMs) },
        other_cli_ms: { first: round(first.otherCli), switch: round(second.otherCli), rollback: round(back.otherCli) },
        checks_ms: { first: round(first.checks), switch: round(second.checks), rollback: round(back.checks) },
        build_ms: { first: round(first.build), switch: round(second.build) },
      }),
    );
  } finally {
    await p.cleanup();
  }
}

main().catch((e) => {
  console.error(`bench:deploy: ${(e as Error).message}`);
  process.exitCode = 1;
});
