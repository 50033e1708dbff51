// A rebuild after the state is lost refuses, before anything changes, when containers or the network
// of the Docker environment survived: `up` would fail half-way on their fixed names.
import { describe, expect, it } from 'vitest';
import { environmentObjects, orphansMessage, refuseOrphans } from '../pipeline/recovery/orphans';
import { validateStackConfig } from '../stacks/validate';
import type { DockerConfig } from '../stacks/schema';
import { rawStack } from './mocks';

const local = (() => {
  const v = validateStackConfig(rawStack('local'), { stack: 'local', file: 'stacks/Pulumi.local.yaml' });
  if (!v.ok) throw new Error(v.errors.join('\n'));
  return v.config as DockerConfig;
})();

describe('orphaned Docker objects after a lost state', () => {
  it('looks for the containers and network the environment names', () => {
    expect(environmentObjects(local, 'local')).toEqual({ containers: ['shop-local-blue', 'shop-local-green', 'shop-local-router'], network: 'shop-local' });
  });

  it('names each survivor and both ways out, in one line', async () => {
    const left = { containers: ['shop-local-green', 'shop-local-router'], network: 'shop-local' };
    await expect(refuseOrphans('local', local, async () => left)).rejects.toThrow(
      'stack local: its state is gone but container shop-local-green, container shop-local-router, network shop-local still exist; ' +
        'remove them (docker rm -f shop-local-green shop-local-router && docker network rm shop-local) or restore the state ' +
        '(slipway restore --stack local --from BACKUP); nothing was changed',
    );
    expect(orphansMessage('local', { containers: [], network: 'shop-local' })).toContain('but network shop-local still exists;');
  });

  it('passes when nothing is left', async () => {
    await expect(refuseOrphans('local', local, async () => ({ containers: [] }))).resolves.toBeUndefined();
  });
});
