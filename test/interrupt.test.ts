// Ctrl-C during a deployment must reach the pipeline as an abort (so the engine cancels and releases
// Pulumi's stack lock), not kill the process while the CLI still holds the lock. SIGTERM — what a
// stopping console sends the deployments it runs — does the same.
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { ROOT } from './mocks';

describe('interruptSignal', () => {
  it.each([
    ['SIGINT', 'Ctrl-C'],
    ['SIGTERM', 'SIGTERM'],
  ] as const)('turns the first %s into an abort even with signal-exit listening (the SDK loads it)', async (signal, what) => {
    const child = execa('node', ['--import', 'tsx', join(ROOT, 'test/fixtures/processes/interrupt.ts')], { cwd: ROOT, reject: false });
    await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
    child.kill(signal);
    const r = await child;
    expect(r.signal, r.stderr).toBeUndefined();
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`aborted: interrupted (${what})`);
  });
});
