// The pipeline half of bench:switch: `slipway rollback` wall times on the real engine, under load, in a
// throwaway project copy (test/engine/project.ts). Null with the reason when the engine, the local
// images or Docker are not there, so the router half still reports on a machine without them.
import { firstLine } from '../pipeline/cli/errors';
import { engineProject, requireEngine } from '../test/engine/project';
import { rollbacksUnderLoad } from '../test/engine/rollbacks';
import { percentile } from './stats';

export interface PipelineRollbackResult {
  pipeline_rollback_ms: number | null;
  pipeline_rollback_ms_max?: number;
  pipeline_requests?: number;
  pipeline_failed?: number;
  pipeline_reset_connections?: number;
  pipeline_skipped?: string;
  /** Why the pipeline half failed (the router half is still reported). */
  pipeline_error?: string;
}

export async function pipelineRollbacks(n: number): Promise<PipelineRollbackResult> {
  try {
    await requireEngine();
  } catch (e) {
    return { pipeline_rollback_ms: null, pipeline_skipped: firstLine(e) };
  }
  // The label is part of the app name, which the schema keeps to 12 characters.
  const p = await engineProject('bswitch');
  try {
    const r = await rollbacksUnderLoad(p, n);
    return {
      pipeline_rollback_ms: Math.round(percentile(r.wallMs, 50)),
      pipeline_rollback_ms_max: Math.round(Math.max(...r.wallMs)),
      pipeline_requests: r.stats.requests,
      pipeline_failed: r.stats.failed,
      pipeline_reset_connections: r.stats.resets,
    };
  } catch (e) {
    return { pipeline_rollback_ms: null, pipeline_error: firstLine(e) };
  } finally {
    await p.cleanup();
  }
}
