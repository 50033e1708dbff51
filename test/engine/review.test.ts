// Review and control on the real engine: after a deployment the plain CLI finds nothing to change
// (configuration is the single source of truth), previews of a Docker and an AWS stack render, the
// CLI's own `preview --json` renders with `preview --from`, drift names a container removed behind
// Pulumi's back, and a manual-approval stack waits for, takes and refuses decisions.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../support/docker';
import { engineProject, versionAt, type EngineProject } from './project';
import { pulumi } from './pulumiCli';

let p: EngineProject;
const deployArgs = (stack: string, version: string) => ['deploy', '--stack', stack, '--build', 'app', '--base-image', p.baseImage, '--app-version', version];
/** The AWS stack (through the aws double) keeps its state in a file backend of the project too. */
const awsEnv = () => {
  const dir = join(p.dir, '.slipway', 'state-aws');
  mkdirSync(dir, { recursive: true }); // the file backend wants its directory to exist
  return { PULUMI_BACKEND_URL: `file://${dir}`, PULUMI_CONFIG_PASSPHRASE: '' };
};

beforeAll(async () => {
  p = await engineProject('review');
  const r = await p.slipway(deployArgs('local', '1.0.0'));
  if (r.exitCode !== 0) throw new Error(`setup deploy failed:\n${r.all}`);
});
afterAll(async () => {
  await p?.cleanup();
});

describe.sequential('review on the real engine', () => {
  it('after the pipeline, plain `pulumi preview --expect-no-changes` passes', async () => {
    const backend = { PULUMI_BACKEND_URL: `file://${join(p.dir, '.slipway', 'state')}` };
    const r = await pulumi(p.dir, ['preview', '--stack', 'local', '--expect-no-changes', '--diff'], backend);
    expect(r.exitCode, r.all).toBe(0);
  });

  it('slipway preview runs through the engine for a Docker and an AWS stack and renders', async () => {
    const local = await p.slipway(['preview', '--stack', 'local']);
    expect(local.exitCode, local.all).toBe(0);
    expect(local.stdout).toContain('local');
    const dev = await p.slipway(['preview', '--stack', 'dev'], { env: awsEnv() });
    expect(dev.exitCode, dev.all).toBe(0);
    expect(dev.stdout).toMatch(/dev/);
    expect(dev.stdout).toMatch(/aws:ecs\/service:Service|ecs/i);
  });

  it("the CLI's own `pulumi preview --json` renders with `slipway preview --from`", async () => {
    const r = await pulumi(p.dir, ['preview', '--stack', 'dev', '--json'], awsEnv());
    expect(r.exitCode, r.all).toBe(0);
    const file = join(p.dir, 'dev-preview.json');
    writeFileSync(file, r.stdout);
    const rendered = await p.slipway(['preview', '--from', file]);
    expect(rendered.exitCode, rendered.all).toBe(0);
    expect(rendered.stdout).toMatch(/create/i);
  });

  it('drift after `docker rm -f` of a slot container exits 2 and names it', async () => {
    const n = p.names('local');
    await docker(['rm', '-f', n.green]);
    const r = await p.slipway(['drift', '--stack', 'local']);
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all).toMatch(/green/);
    // The next deployment heals it: `up` recreates what the state says exists.
    const heal = await p.slipway(deployArgs('local', '1.1.0'));
    expect(heal.exitCode, heal.all).toBe(0);
  });
});

describe.sequential('approval gate on the real engine (a manual-approval stack)', () => {
  const history = async () =>
    JSON.parse((await p.slipway(['history', '--stack', 'gated', '--json'])).stdout) as { pending: { deployment: { id: string; version: string } }[] };

  beforeAll(async () => {
    // Same ports as local: take that environment down first, through the engine.
    await docker(['rm', '-f', ...Object.values(p.names('local')).slice(0, 3)]).catch(() => '');
    p.writeStack('gated', { approval: 'manual', approvers: ['alice'] });
  });

  it('waits at the gate (exit 3), refuses a non-approver, and goes live when an approver approves', async () => {
    const r = await p.slipway(deployArgs('gated', '1.0.0'));
    expect(r.exitCode, r.all).toBe(3);
    const [pending] = (await history()).pending;
    expect(pending?.deployment.version).toBe('1.0.0');
    expect(await versionAt(p.testUrl)).toBe('1.0.0');
    expect(await versionAt(p.publicUrl)).toMatch(/HTTP 503/);

    const mallory = await p.slipway(['approve', '--stack', 'gated', '--id', pending!.deployment.id, '--by', 'mallory']);
    expect(mallory.exitCode, mallory.all).toBe(1);
    expect(mallory.all).toMatch(/mallory is not an approver/);

    const ok = await p.slipway(['approve', '--stack', 'gated', '--id', pending!.deployment.id, '--by', 'alice']);
    expect(ok.exitCode, ok.all).toBe(0);
    expect(await versionAt(p.publicUrl)).toBe('1.0.0');
  });

  it('a rejected deployment never reaches production; the idle slot keeps it for inspection', async () => {
    const r = await p.slipway(deployArgs('gated', '2.0.0'));
    expect(r.exitCode, r.all).toBe(3);
    const [pending] = (await history()).pending;
    const no = await p.slipway(['reject', '--stack', 'gated', '--id', pending!.deployment.id, '--by', 'alice', '-m', 'not today']);
    expect(no.exitCode, no.all).toBe(0);
    expect(await versionAt(p.publicUrl)).toBe('1.0.0');
    expect(await versionAt(p.testUrl)).toBe('2.0.0');
    expect((await history()).pending).toEqual([]);
  });
});
