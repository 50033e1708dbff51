// Disaster recovery's pure parts and its flows on the engine double: the pre-flight's one error, the
// recovery plan, what a refresh found, a slot's workload in a state, `--set` parsing and `--into`
// validation, and rebuild/drill recorded in the ledger (the AWS path with a stubbed artifact check).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { EngineDouble } from './support/engineDouble';
import { rawStack } from './mocks';
import { Ledger, deployments } from '../pipeline/ledger/ledger';
import { fileLock } from '../pipeline/release/lock';
import { silentProgress } from '../pipeline/release/progress';
import type { SmokeOptions, SmokeReport } from '../pipeline/release/smoke';
import { validateStackConfig } from '../stacks/validate';
import type { SlipwayConfig } from '../stacks/schema';
import { ecrLocation, missingArtifactsMessage, preflightArtifacts, slotArtifacts, type ArtifactStore } from '../pipeline/recovery/artifacts';
import { modeAfterRefresh, recoveryPlan, slotWorkloadUrns } from '../pipeline/recovery/plan';
import { applySettings, parseSetting, planInto } from '../pipeline/recovery/into';
import { rebuild, type RecoveryContext } from '../pipeline/recovery/rebuild';
import { drill } from '../pipeline/recovery/drill';
import { UsageError, UserError } from '../pipeline/cli/errors';

const D = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const withRelease = (raw: Record<string, any>, live: 'blue' | 'green' = 'green', repo = 'shop') => {
  raw['slipway:release'] = { live, blue: { image: `${repo}:1.0.0@${D(1)}`, version: '1.0.0' }, green: { image: `${repo}:2.0.0@${D(2)}`, version: '2.0.0' } };
  return raw;
};
const configOf = (raw: Record<string, any>, stack = 'local'): SlipwayConfig => {
  const v = validateStackConfig(raw, { stack, file: `stacks/Pulumi.${stack}.yaml` });
  if (!v.ok) throw new Error(v.errors.join('\n'));
  return v.config;
};
const store = (missing: string[] = []): ArtifactStore & { asked: string[] } => {
  const asked: string[] = [];
  return { where: 'ECR', asked, exists: async (a) => (asked.push(a.digest), !missing.includes(a.digest)) };
};

describe('pre-flight', () => {
  it('lists every missing digest with the slot that needs it, in one error', async () => {
    const config = configOf(withRelease(rawStack('local')));
    const artifacts = slotArtifacts(config);
    expect(artifacts.map((a) => `${a.slot} ${a.digest} ${a.version}`)).toEqual([`blue ${D(1)} 1.0.0`, `green ${D(2)} 2.0.0`]);
    const err = await preflightArtifacts('local', artifacts, store([D(1), D(2)])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).problems).toEqual([
      `stack local: 2 artifacts of its release state are missing from ECR: slot blue needs ${D(1)} (1.0.0), slot green needs ${D(2)} (2.0.0); nothing was changed (restore the images, or deploy a release that exists)`,
    ]);
    await expect(preflightArtifacts('local', artifacts, store())).resolves.toBeUndefined();
  });

  it('skips empty slots and reads ECR locations', () => {
    const raw = withRelease(rawStack('local'));
    raw['slipway:release'].blue = {};
    expect(slotArtifacts(configOf(raw)).map((a) => a.slot)).toEqual(['green']);
    expect(missingArtifactsMessage('x', 'the Docker engine', [])).toMatch(/0 artifacts/);
    expect(ecrLocation(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-prod:1.0@${D(3)}`)).toEqual({ registryId: '123456789012', region: 'eu-west-1', repository: 'shop-prod' });
    expect(ecrLocation(`ghcr.io/acme/shop@${D(3)}`)).toBeUndefined();
  });
});

describe('the recovery plan', () => {
  it('state lost: create the stack; state present: refresh; both routes checked with their versions', () => {
    const config = configOf(withRelease(rawStack('local')));
    expect(recoveryPlan('local', config, false)).toEqual({
      steps: ['preflight', 'create-stack', 'up', 'smoke-public', 'smoke-test'],
      checks: [{ route: 'public', slot: 'green', version: '2.0.0' }, { route: 'test', slot: 'blue', version: '1.0.0' }],
    });
    expect(recoveryPlan('local', config, true).steps[1]).toBe('refresh');
  });

  it('an empty idle slot is not checked; nothing live is refused', () => {
    const raw = withRelease(rawStack('local'));
    raw['slipway:release'].blue = {};
    expect(recoveryPlan('local', configOf(raw), true).checks.map((c) => c.route)).toEqual(['public']);
    raw['slipway:release'].live = 'blue';
    expect(() => recoveryPlan('local', configOf(raw), true)).toThrow(/nothing to rebuild, the live slot blue has no release/);
  });

  it('a refresh that dropped resources means they were missing', () => {
    const step = (op: string) => ({ op, urn: 'u', type: 't', diff: {} });
    expect(modeAfterRefresh([])).toBe('intact');
    expect(modeAfterRefresh([step('update')])).toBe('intact');
    expect(modeAfterRefresh([step('update'), step('delete')])).toBe('resources-missing');
  });

  it("a slot's workload: the container (or ECS service and task) under that slot's component only", () => {
    const u = (type: string, name: string, parent?: string) => ({ urn: `urn:pulumi:local::slipway::${type}::${name}`, type, ...(parent ? { parent } : {}) });
    const blue = u('slipway:docker:Slot', 'shop-blue');
    const green = u('slipway:docker:Slot', 'shop-green');
    const state = { deployment: { resources: [blue, green, u('docker:index/container:Container', 'shop-blue-container', blue.urn), u('docker:index/container:Container', 'shop-green-container', green.urn), u('docker:index/container:Container', 'shop-router-container')] } };
    expect(slotWorkloadUrns(state, 'shop', 'blue')).toEqual(['urn:pulumi:local::slipway::docker:index/container:Container::shop-blue-container']);
    expect(slotWorkloadUrns(state, 'other', 'blue')).toEqual([]);
    expect(slotWorkloadUrns(undefined, 'shop', 'blue')).toEqual([]);
  });
});

describe('--set and --into', () => {
  it('parses knobs as YAML values and refuses what is not a knob', () => {
    expect(parseSetting('slipway:ports.public=8090', 'docker')).toEqual({ key: 'slipway:ports.public', path: ['slipway:ports', 'public'], value: 8090 });
    expect(parseSetting('slipway:tags.team=ops', 'docker').value).toBe('ops');
    expect(parseSetting('slipway:network.testListenerCidrs=[10.0.0.0/8]', 'aws').value).toEqual(['10.0.0.0/8']);
    expect(parseSetting('aws:region=eu-west-1', 'aws').path).toEqual(['aws:region']);
    const refused = (arg: string, target: 'aws' | 'docker' = 'docker') => {
      try {
        parseSetting(arg, target);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as UsageError).problems[0];
      }
      return 'accepted';
    };
    expect(refused('slipway:ports.public')).toMatch(/^--set: "slipway:ports.public" is not key=value/);
    expect(refused('slipway:release.live=blue')).toMatch(/^--set: slipway:release.live: not a knob: the new stack runs the same releases/);
    expect(refused('slipway:app.name=x')).toMatch(/^--set: slipway:app.name: not a knob/);
    expect(refused('slipway:target=aws')).toMatch(/not a knob: the target/);
    expect(refused('slipway:network.vpcCidr=10.0.0.0/16')).toMatch(/not a declared knob of a docker stack/);
    expect(refused('slipway:ports.pubic=1')).toMatch(/has no field "pubic"/);
    expect(refused('aws:region=x')).toMatch(/aws: keys do not apply to a docker stack/);
    expect(refused('pulumi:x=1')).toMatch(/not a declared knob/);
  });

  it('applies settings keeping the rest of the file, comments included', () => {
    const out = applySettings('# top\nconfig:\n  slipway:ports:\n    public: 1\n    test: 2 # the idle slot\n', [{ key: 'k', path: ['slipway:ports', 'public'], value: 9 }]);
    expect(out).toContain('public: 9');
    expect(out).toContain('# the idle slot');
  });

  describe('planInto', () => {
    let root: string;
    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), 'slipway-into-'));
      mkdirSync(join(root, 'stacks'));
      writeFileSync(join(root, 'stacks', 'Pulumi.local.yaml'), stringify({ config: withRelease(rawStack('local')) }));
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));
    const source = () => configOf(withRelease(rawStack('local')));

    it('validates the new file before anything is written', () => {
      const plan = planInto(root, 'local', source(), 'copy', ['slipway:ports.public=9080', 'slipway:ports.test=9081']);
      expect(plan.config).toMatchObject({ ports: { public: 9080, test: 9081 }, release: source().release });
      expect(plan.text).toMatch(/^# Created by `slipway rebuild --stack local --into copy`/);
      expect(() => planInto(root, 'local', source(), 'copy', ['slipway:ports.public=80'])).toThrow(/stacks\/Pulumi.copy.yaml: slipway:ports.public: 80 is below the minimum 1024/);
      expect(() => planInto(root, 'local', source(), 'copy', ['slipway:ports.public=9080'])).toThrow(/slipway:ports.test: 8081 is a port of stack local; pass --set slipway:ports.test=<another port>/);
    });

    it('refuses a NEW that exists, or the stack itself', () => {
      writeFileSync(join(root, 'stacks', 'Pulumi.copy.yaml'), readFileSync(join(root, 'stacks', 'Pulumi.local.yaml')));
      expect(() => planInto(root, 'local', source(), 'copy', [])).toThrow('--into: stacks/Pulumi.copy.yaml exists');
      expect(() => planInto(root, 'local', source(), 'local', [])).toThrow(UsageError);
    });
  });
});

describe('rebuild and drill on the engine double', () => {
  let dir: string;
  let engine: EngineDouble;
  let ledger: Ledger;
  let ctx: RecoveryContext;
  let smokes: SmokeOptions[];
  const t = { now: Date.parse('2026-11-22T10:00:00Z') };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-recovery-'));
    engine = new EngineDouble();
    ledger = new Ledger(join(dir, 'ledger'));
    smokes = [];
    ctx = {
      engine,
      ledger,
      lock: fileLock(join(dir, 'locks')),
      smoke: async (o): Promise<SmokeReport> => {
        smokes.push(o);
        t.now += 1500;
        return { ok: true, url: o.baseUrl, elapsedMs: 1, checks: [] };
      },
      signals: () => ({ firing: async () => [] }),
      progress: silentProgress,
      now: () => new Date(t.now),
      sleep: async () => {},
      actor: 'ops',
      artifacts: () => store(),
    };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('AWS, state lost: a fresh stack, up, both routes checked, recorded as a recovery with its time', async () => {
    const raw = withRelease(rawStack('dev'), 'green', '123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-dev');
    const startedAt = new Date(t.now);
    const out = await rebuild(ctx, 'dev', { config: configOf(raw, 'dev'), startedAt });
    expect(out).toMatchObject({ stack: 'dev', mode: 'state-lost', recoveryMs: 1500 });
    expect(smokes.map((s) => [s.baseUrl, s.expectVersion])).toEqual([['http://dev.public', '2.0.0'], ['http://dev.test', '1.0.0']]);
    const [d] = deployments(await ledger.read('dev'));
    expect(d).toMatchObject({ kind: 'recovery', status: 'recovered', recovery: { mode: 'state-lost', ms: 1500 } });
    expect(d!.steps.map((s) => s.name)).toEqual(['preflight', 'create-stack', 'up', 'smoke-public', 'smoke-test']);
  });

  it('a missing artifact stops before the engine or the ledger is touched', async () => {
    ctx.artifacts = () => store([D(1)]);
    await expect(rebuild(ctx, 'local', { config: configOf(withRelease(rawStack('local'))), startedAt: new Date(t.now) })).rejects.toThrow(/slot blue needs/);
    expect(engine.stacks.size).toBe(0);
    expect(await ledger.read('local')).toEqual([]);
  });

  it('drill replaces only the idle slot\'s workload and checks the test route', async () => {
    const s = engine.seed('local', (raw) => withRelease(raw));
    await (await engine.selectStack('local')).up();
    const slot = (name: string) => ({ urn: `urn:pulumi:local::slipway::slipway:docker:Slot::shop-${name}`, type: 'slipway:docker:Slot' });
    const container = (name: string) => ({ urn: `urn:x::docker:index/container:Container::shop-${name}-container`, type: 'docker:index/container:Container', parent: slot(name).urn });
    s.state = { deployment: { resources: [slot('blue'), slot('green'), container('blue'), container('green')] } };
    const ups: unknown[] = [];
    const select = engine.selectStack.bind(engine);
    engine.selectStack = async (n) => {
      const h = await select(n);
      return { ...h, up: (o) => (ups.push({ target: o?.target, replace: o?.replace }), h.up(o)) };
    };
    const out = await drill(ctx, 'local', { startedAt: new Date(t.now) });
    expect(out).toMatchObject({ slot: 'blue', version: '1.0.0', replaced: [container('blue').urn] });
    expect(ups).toEqual([{ target: [container('blue').urn], replace: [container('blue').urn] }]);
    expect(smokes.map((o) => o.baseUrl)).toEqual(['http://local.test']);
    expect(deployments(await ledger.read('local'))[0]).toMatchObject({ kind: 'drill', slot: 'blue', status: 'recovered' });
  });

  it('drill is refused when the stack says so', async () => {
    engine.seed('local', (raw) => {
      withRelease(raw);
      raw['slipway:promotion'].drill = false;
    });
    await expect(drill(ctx, 'local', { startedAt: new Date(t.now) })).rejects.toThrow('stacks/Pulumi.local.yaml: slipway:promotion.drill is false: this stack refuses drills');
  });
});
