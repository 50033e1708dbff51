// Disaster-recovery benchmark on the real engine: on a throwaway copy of the project (test/engine/
// project.ts) deploy two releases to the local stack, then delete every container and the network of
// the environment and its state (.slipway/state), run `slipway rebuild --stack local` as a user does,
// and compare its recovery time with the floor: a plain `docker run` of the live release's image until
// it answers its health check. Prints one JSON line:
//   {"recovery_ms","rebuild_wall_ms","floor_ms","ratio","mode","rebuilt","steps_ms":{…},"goal":{"recovery_ms":30000,"ratio":3},"met":bool}
// recovery_ms is what `rebuild` measures and records: from the command's start (its process) to the
// public URL passing its smoke checks; rebuild_wall_ms is the whole command (the test route checked
// too). ratio = recovery_ms / floor_ms. Goal for the local stack: ≤ 30 s and ≤ 3× the floor.
//
//   npm run bench:rebuild     (needs `npm run engine:build`, `npm run images:local`, a Docker engine)
import { readFileSync, rmSync } from 'node:fs';
import { freePort } from '../test/support/ports';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import { docker } from '../test/support/docker';
import { engineProject, versionAt, type EngineProject } from '../test/engine/project';

const GOAL = { recovery_ms: 30_000, ratio: 3 };

async function main(): Promise<void> {
  const p = await engineProject('bench-dr');
  try {
    for (const version of ['1.0.0', '2.0.0']) {
      const r = await p.slipway(['deploy', '--stack', 'local', '--build', 'app', '--base-image', p.baseImage, '--app-version', version]);
      if (r.exitCode !== 0) throw new Error(`deploy ${version} failed:\n${r.all}`);
    }
    const live = liveImage(p);
    await destroyEnvironment(p);

    const start = performance.now();
    const r = await p.slipway(['rebuild', '--stack', 'local', '--json']);
    const wall = performance.now() - start;
    if (r.exitCode !== 0) throw new Error(`rebuild failed:\n${r.all}`);
    const out = JSON.parse(r.stdout) as { id: string; recoveryMs: number; mode: string; rebuilt: number };
    if ((await versionAt(p.publicUrl)) !== '2.0.0' || (await versionAt(p.testUrl)) !== '1.0.0') throw new Error('rebuild did not bring both releases back');

    const floor = await floorMs(live, p);
    const ratio = out.recoveryMs / floor;
    console.log(
      JSON.stringify({
        recovery_ms: Math.round(out.recoveryMs),
        rebuild_wall_ms: Math.round(wall),
        floor_ms: Math.round(floor),
        ratio: Math.round(ratio * 100) / 100,
        mode: out.mode,
        rebuilt: out.rebuilt,
        steps_ms: stepTimes(p, out.id),
        goal: GOAL,
        met: out.recoveryMs <= GOAL.recovery_ms && ratio <= GOAL.ratio,
      }),
    );
  } finally {
    await p.cleanup();
  }
}

/** The recovery's steps and their times, from the ledger it wrote. */
function stepTimes(p: EngineProject, id: string): Record<string, number> {
  const lines = readFileSync(join(p.dir, '.slipway', 'ledger', 'local.jsonl'), 'utf8').split('\n').filter(Boolean);
  const out: Record<string, number> = {};
  for (const line of lines) {
    const e = JSON.parse(line) as { deploymentId: string; type: string; data: { name?: string; ms?: number } };
    if (e.deploymentId === id && e.type === 'step' && e.data.name) out[e.data.name] = e.data.ms ?? 0;
  }
  return out;
}

/** The live slot's image ID and version, from the stack file the deploys wrote. */
function liveImage(p: EngineProject): { digest: string; version: string; port: number } {
  const config = (parse(readFileSync(join(p.dir, 'stacks', 'Pulumi.local.yaml'), 'utf8')) as { config: Record<string, any> }).config;
  const release = config['slipway:release'];
  const slot = release[release.live] as { image: string; version: string };
  return { digest: slot.image.slice(slot.image.lastIndexOf('@') + 1), version: slot.version, port: config['slipway:app'].port };
}

/** Every container and the network of the environment, and its state: the disaster. */
async function destroyEnvironment(p: EngineProject): Promise<void> {
  const n = p.names('local');
  await docker(['rm', '-f', n.blue, n.green, n.router]);
  await docker(['network', 'rm', n.network]);
  rmSync(join(p.dir, '.slipway', 'state'), { recursive: true, force: true });
}

/** A plain container start of the same image until /healthz answers 200. */
async function floorMs(image: { digest: string; version: string; port: number }, p: EngineProject): Promise<number> {
  const port = await freePort();
  const name = `${p.app}-floor`;
  const start = performance.now();
  await docker(['run', '-d', '--rm', '--name', name, '-e', `PORT=${image.port}`, '-e', `APP_VERSION=${image.version}`, '-p', `127.0.0.1:${port}:${image.port}`, image.digest]);
  try {
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
        if (res.status === 200) return performance.now() - start;
      } catch {
        // not listening yet
      }
      if (performance.now() - start > 60_000) throw new Error('the floor container did not answer /healthz within 60 s');
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    await docker(['rm', '-f', name]).catch(() => '');
  }
}


await main();
