// Ctrl-C during a deployment must reach the pipeline as an abort (so the engine cancels and releases
// Pulumi's stack lock), not kill the process while the CLI still holds the lock.
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ROOT } from './mocks';

describe('interruptSignal', () => {
  it('turns the first SIGINT into an abort even with signal-exit listening (the SDK loads it)', async () => {
    const child = execa('node', ['--import', 'tsx', join(ROOT, 'test/fixtures/processes/interrupt.ts')], { cwd: ROOT, reject: false });
    await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
    child.kill('SIGINT');
    const r = await child;
    expect(r.signal, r.stderr).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('aborted: interrupted (Ctrl-C)');
  });

  it('turns SIGTERM (what a stopping console sends its jobs) into the same abort', async () => {
    const child = execa('node', ['--import', 'tsx', join(ROOT, 'test/fixtures/processes/interrupt.ts')], { cwd: ROOT, reject: false });
    await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
    child.kill('SIGTERM');
    const r = await child;
    expect(r.signal, r.stderr).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('aborted: interrupted (SIGTERM)');
  });
});
