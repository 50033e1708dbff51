// The engine double (test/support/engineDouble.ts) stands in for Pulumi in the pipeline's tests, so its
// stack outputs must be the program's: the same keys, and the same values wherever they follow from
// the configuration. Compared with the real program's outputs under the SDK's mocks.
import { describe, expect, it } from 'vitest';
import { EngineDouble } from './support/engineDouble';
import { DIGEST_A, DIGEST_B, plan, rawStack } from './mocks';

const release = { live: 'green', blue: { image: `shop:2.0.0@${DIGEST_B}`, version: '2.0.0' }, green: { image: `shop:1.0.0@${DIGEST_A}`, version: '1.0.0' } };
/** Outputs only a provider knows (DNS names, account ids); the double makes its own up. */
const PROVIDER_ASSIGNED = ['publicUrl', 'testUrl', 'repositoryUrl'];

describe('engine double ↔ program outputs', () => {
  for (const stack of ['dev', 'local', 'prod']) {
    it(`${stack}: same keys, and the same values for everything the configuration decides`, async () => {
      const edit = (raw: Record<string, any>) => {
        raw['slipway:release'] = structuredClone(release);
      };
      const program = (await plan(stack, edit)).outputs;
      const engine = new EngineDouble();
      engine.seed(stack, edit);
      const double = (await (await engine.selectStack(stack)).up()).outputs;

      expect(Object.keys(double).sort()).toEqual(Object.keys(program).sort());
      for (const key of Object.keys(program)) {
        if (PROVIDER_ASSIGNED.includes(key)) expect(typeof double[key], key).toBe(typeof program[key]);
        else expect(double[key], key).toEqual(program[key]);
      }
    });
  }

  it('the shipped stack files are what the double seeds from', () => {
    expect(new EngineDouble().seed('staging').config).toEqual(rawStack('staging'));
  });
});
