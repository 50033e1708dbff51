// The switch through the whole pipeline on the real engine: `slipway rollback` back and forth under
// keep-alive load from a client that never resends a request (an API client, a POST). Every rollback is
// one in-place update of the router's routes; not one request may fail, not one connection be reset.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerId, engineProject, type EngineProject } from './project';
import { rollbacksUnderLoad } from './rollbacks';

const ROLLBACKS = 8;
let p: EngineProject;

beforeAll(async () => {
  p = await engineProject('switch');
});
afterAll(async () => {
  await p?.cleanup();
});

describe('slipway rollback under load on the real engine (local stack)', () => {
  it(`${ROLLBACKS} rollbacks: 0 failed requests, 0 reset connections, no container recreated`, async () => {
    const n = p.names('local');
    const before = async () => ({ blue: await containerId(n.blue), green: await containerId(n.green), router: await containerId(n.router) });
    const result = await rollbacksUnderLoad(p, ROLLBACKS);
    const after = await before();
    expect(result.served).toEqual(Array.from({ length: ROLLBACKS }, (_, i) => (i % 2 === 0 ? '1.0.0' : '2.0.0')));
    expect(result.stats.failures).toEqual([]);
    expect(result.stats).toMatchObject({ failed: 0, resets: 0 });
    expect(result.stats.requests).toBeGreaterThan(ROLLBACKS * 100);
    expect(Object.keys(result.stats.bySlot).sort()).toEqual(['blue', 'green']);
    // The last rollback left everything in place: no container was recreated by any of them.
    expect(Object.values(after).every(Boolean)).toBe(true);
    expect(await before()).toEqual(after);
  }, 600_000);
});
