// `slipway rollback` back and forth on the real engine under keep-alive load that never resends a
// request: what the switch test (switch.test.ts) asserts and bench:switch times.
import { SLOT_HEADER } from '../../components/docker/haproxyConfig';
import { startLoad, type LoadStats } from '../support/load';
import { versionAt, type EngineProject } from './project';

export interface RollbacksUnderLoad {
  /** Wall time of each `slipway rollback`, as a user waits for it. */
  wallMs: number[];
  /** The version the public route served after each rollback. */
  served: string[];
  stats: LoadStats;
}

/**
 * Deploys 1.0.0 then 2.0.0 (bake 0, so wall times are the pipeline's own), then runs `slipway
 * rollback` `n` times under load on the public route. Throws with the CLI's output when a command fails.
 */
export async function rollbacksUnderLoad(p: EngineProject, n: number): Promise<RollbacksUnderLoad> {
  p.writeStack('local', { bakeSeconds: 0 });
  for (const version of ['1.0.0', '2.0.0']) {
    const r = await p.slipway(['deploy', '--stack', 'local', '--build', 'app', '--base-image', p.baseImage, '--app-version', version]);
    if (r.exitCode !== 0) throw new Error(`deploy ${version} failed (exit ${r.exitCode}):\n${r.all}`);
  }
  const load = startLoad(`${p.publicUrl}/healthz`, { concurrency: 4, slotHeader: SLOT_HEADER, retry: false });
  const wallMs: number[] = [];
  const served: string[] = [];
  let stats: LoadStats;
  try {
    for (let i = 0; i < n; i++) {
      const start = performance.now();
      const r = await p.slipway(['rollback', '--stack', 'local']);
      wallMs.push(performance.now() - start);
      if (r.exitCode !== 0) throw new Error(`rollback ${i + 1} failed (exit ${r.exitCode}):\n${r.all}`);
      served.push(await versionAt(p.publicUrl));
    }
  } finally {
    stats = await load.stop();
  }
  return { wallMs, served, stats };
}
