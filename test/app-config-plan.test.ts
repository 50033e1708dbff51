// The app's variables and secrets in the program, under the SDK's mocks, as policies: every secret reaches
// an ECS task through `secrets` and none through `environment`; the execution role may read exactly the
// slots' secrets; a slot deployed with another configuration keeps its own (ignoreChanges) while the
// slot the pipeline deploys gets the new values. The program sees plaintext values here, as under the
// engine, so the tests can tell where they went.
import { describe, expect, it } from 'vitest';
import { renderPlan } from '../pipeline/cli/commands/plan';
import { computed, runUnderMocks, type Plan, type PlannedResource } from '../pipeline/review/plan';
import { diffPlans, diffValues } from '../pipeline/review/planDiff';
import { isSecret, maskSecrets, secretValue, SECRET_TEXT } from '../pipeline/review/values';
import { secretValueFrom } from '../components/aws/appSecrets';
import { appConfigId } from '../stacks/appEnv';
import { environmentNames } from '../components/naming';
import { DIGEST_A, DIGEST_B, ROOT, named, ofType, rawStack } from './mocks';

const T = {
  taskDef: 'aws:ecs/taskDefinition:TaskDefinition',
  service: 'aws:ecs/service:Service',
  secret: 'aws:secretsmanager/secret:Secret',
  version: 'aws:secretsmanager/secretVersion:SecretVersion',
  rolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  container: 'docker:index/container:Container',
} as const;

const VALUES = { DATABASE_URL: 'postgres://shop:hunter2-s3cr3t@db.internal/shop', API_TOKEN: 'tok-0123456789-secret' };
const ENV = { LOG_LEVEL: 'info', FEATURES: 'search' };
const NAMES = environmentNames({ app: 'shop', stack: 'prod' });
const LEAKS = /hunter2|s3cr3t|db\.internal|tok-0123456789/;

interface Setup {
  env?: Record<string, string>;
  secrets?: Record<string, string>;
  /** The configuration id each slot's release records (absent: none recorded). */
  recorded?: { blue?: string; green?: string };
  live?: 'blue' | 'green';
}

/** The current id of a setup's configuration, as the program and the pipeline derive it. */
const currentId = (s: Setup, app = 'shop') => appConfigId(app, s.env ?? {}, s.secrets ?? {});

/** Plans `stack` with both slots released and the given app configuration (values decrypted, as the engine hands them over). */
function planWith(stack: 'prod' | 'local', s: Setup): Promise<Plan> {
  const raw = rawStack(stack);
  raw['slipway:app'].env = s.env ?? {};
  raw['slipway:app'].secrets = Object.keys(s.secrets ?? {});
  for (const [n, v] of Object.entries(s.secrets ?? {})) raw[`slipway:secret.${n}`] = v;
  const release = (image: string, version: string, config?: string) => ({ image, version, ...(config ? { config } : {}) });
  raw['slipway:release'] = {
    live: s.live ?? 'blue',
    blue: release(`registry.example.com/shop@${DIGEST_A}`, '1.0.0', s.recorded?.blue),
    green: release(`registry.example.com/shop@${DIGEST_B}`, '2.0.0', s.recorded?.green),
  };
  return runUnderMocks(stack, raw, { root: ROOT });
}

const byPhysical = (p: Plan, type: string, physical: string): PlannedResource => {
  const found = ofType(p, type).filter((r) => (r.inputs.name ?? r.inputs.family) === physical);
  if (found.length !== 1) throw new Error(`expected one ${type} named ${physical}, found ${found.length}`);
  return found[0]!;
};
const containerOf = (p: Plan, slot: 'blue' | 'green') => JSON.parse(byPhysical(p, T.taskDef, NAMES.taskFamily(slot)).inputs.containerDefinitions as string)[0];

describe('AWS: secrets through Secrets Manager, never the environment', () => {
  const setup: Setup = { env: ENV, secrets: VALUES };
  const current = currentId(setup);

  it('every secret reaches the task through `secrets`, from its slot\'s secret; plain variables through `environment`', async () => {
    const p = await planWith('prod', { ...setup, recorded: { blue: current, green: current } });
    for (const slot of ['blue', 'green'] as const) {
      const c = containerOf(p, slot);
      const secret = byPhysical(p, T.secret, NAMES.secret(slot));
      expect(c.secrets).toEqual(['API_TOKEN', 'DATABASE_URL'].map((name) => ({ name, valueFrom: secretValueFrom(computed(secret.name, 'arn'), name) })));
      expect(c.environment).toEqual([
        { name: 'APP_VERSION', value: slot === 'blue' ? '1.0.0' : '2.0.0' },
        { name: 'FEATURES', value: 'search' },
        { name: 'LOG_LEVEL', value: 'info' },
      ]);
      expect(c.dockerLabels).toEqual({ 'slipway.config': current });
      expect(JSON.stringify(c)).not.toMatch(LEAKS);
    }
  });

  it('one secret per slot holds the values, marked secret; it is deleted without a recovery window; the task waits for it', async () => {
    const p = await planWith('prod', { ...setup, recorded: { blue: current, green: current } });
    for (const slot of ['blue', 'green'] as const) {
      const secret = byPhysical(p, T.secret, NAMES.secret(slot));
      expect(secret.inputs).toMatchObject({ name: `slipway/shop/prod/${slot}`, recoveryWindowInDays: 0 });
      const version = ofType(p, T.version).find((v) => v.inputs.secretId === computed(secret.name, 'id'))!;
      expect(isSecret(version.inputs.secretString)).toBe(true);
      expect(JSON.parse((version.inputs.secretString as { value: string }).value)).toEqual(VALUES);
      expect(byPhysical(p, T.taskDef, NAMES.taskFamily(slot)).dependencies).toContain(version.urn);
    }
    expect(JSON.stringify(maskSecrets(p))).not.toMatch(LEAKS);
    expect(renderPlan(p).join('\n')).not.toMatch(LEAKS);
  });

  it('the execution role may read exactly the slots\' secrets, and the services start only once it may', async () => {
    const p = await planWith('prod', { ...setup, recorded: { blue: current, green: current } });
    const [policy, ...more] = ofType(p, T.rolePolicy);
    expect(more).toEqual([]);
    expect(policy!.inputs.role).toBe(NAMES.executionRole);
    expect(JSON.parse(policy!.inputs.policy as string)).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: (['blue', 'green'] as const).map((s) => computed(byPhysical(p, T.secret, NAMES.secret(s)).name, 'arn')) },
      ],
    });
    for (const slot of ['blue', 'green'] as const) expect(byPhysical(p, T.service, NAMES.service(slot)).dependencies).toContain(policy!.urn);
  });

  it('without secrets: no secret, no read policy, and the container definition is as before (no label either)', async () => {
    const p = await planWith('prod', {});
    expect([ofType(p, T.secret), ofType(p, T.version), ofType(p, T.rolePolicy)]).toEqual([[], [], []]);
    expect(containerOf(p, 'blue')).not.toHaveProperty('secrets');
    expect(containerOf(p, 'blue')).not.toHaveProperty('dockerLabels');
    expect(containerOf(p, 'blue').environment).toEqual([{ name: 'APP_VERSION', value: '1.0.0' }]);
  });

  it('a changed value goes to the idle slot only: the live slot keeps its task definition and secret value', async () => {
    const before = currentId(setup);
    const changed: Setup = { env: ENV, secrets: { ...VALUES, DATABASE_URL: 'postgres://shop:other@db2/shop' } };
    const after = currentId(changed);
    expect(after).not.toBe(before);
    // The pipeline has deployed green with the new configuration; blue (live) still records the old one.
    const p = await planWith('prod', { ...changed, recorded: { blue: before, green: after } });
    const ignored = (r: PlannedResource) => r.ignoreChanges ?? [];
    const versionOf = (slot: 'blue' | 'green') => ofType(p, T.version).find((v) => v.inputs.secretId === computed(byPhysical(p, T.secret, NAMES.secret(slot)).name, 'id'))!;
    expect(ignored(byPhysical(p, T.taskDef, NAMES.taskFamily('blue')))).toEqual(['containerDefinitions']);
    expect(ignored(versionOf('blue'))).toEqual(['secretString']);
    expect(ignored(byPhysical(p, T.taskDef, NAMES.taskFamily('green')))).toEqual([]);
    expect(ignored(versionOf('green'))).toEqual([]);
    expect(containerOf(p, 'green').dockerLabels).toEqual({ 'slipway.config': after });
    expect(renderPlan(p).join('\n')).toMatch(/TaskDefinition {2}shop-blue-task .*\(keeps containerDefinitions as deployed\)/);
    // After the switch, blue is idle and still keeps its own until it is deployed again.
    const switched = await planWith('prod', { ...changed, recorded: { blue: before, green: after }, live: 'green' });
    expect(ignored(byPhysical(switched, T.taskDef, NAMES.taskFamily('blue')))).toEqual(['containerDefinitions']);
  });

  it('a slot that keeps an older configuration keeps its secret even when no secret is declared any more', async () => {
    const p = await planWith('prod', { env: ENV, recorded: { blue: currentId(setup), green: currentId({ env: ENV }) } });
    expect(ofType(p, T.secret).map((s) => s.inputs.name)).toEqual([NAMES.secret('blue')]);
    expect(ofType(p, T.version)[0]!.ignoreChanges).toEqual(['secretString']);
    expect(JSON.parse(ofType(p, T.rolePolicy)[0]!.inputs.policy as string).Statement[0].Resource).toEqual([computed(ofType(p, T.secret)[0]!.name, 'arn')]);
  });
});

describe('Docker: the container environment', () => {
  const setup: Setup = { env: ENV, secrets: { DATABASE_URL: VALUES.DATABASE_URL } };
  const current = currentId(setup);
  const envsOf = (p: Plan, slot: 'blue' | 'green') => named(p, T.container, `shop-${slot}-container`);

  it('both slots get the plain and secret variables; the list holding a secret is marked secret and never printed', async () => {
    const p = await planWith('local', { ...setup, recorded: { blue: current, green: current } });
    for (const slot of ['blue', 'green'] as const) {
      const envs = envsOf(p, slot).inputs.envs;
      expect(isSecret(envs)).toBe(true);
      expect((envs as { value: string[] }).value).toEqual([`PORT=8080`, `APP_VERSION=${slot === 'blue' ? '1.0.0' : '2.0.0'}`, `SLOT=${slot}`, 'FEATURES=search', 'LOG_LEVEL=info', `DATABASE_URL=${VALUES.DATABASE_URL}`]);
      expect(envsOf(p, slot).ignoreChanges).toBeUndefined();
    }
    expect(JSON.stringify(maskSecrets(p))).not.toMatch(LEAKS);
    expect(renderPlan(p).join('\n')).not.toMatch(LEAKS);
  });

  it('plain variables alone stay readable in the plan', async () => {
    const p = await planWith('local', { env: ENV, recorded: { blue: currentId({ env: ENV }), green: currentId({ env: ENV }) } });
    expect(envsOf(p, 'blue').inputs.envs).toEqual(['PORT=8080', 'APP_VERSION=1.0.0', 'SLOT=blue', 'FEATURES=search', 'LOG_LEVEL=info']);
  });

  it('the live container keeps its environment until the pipeline deploys that slot again', async () => {
    const changed: Setup = { env: { ...ENV, LOG_LEVEL: 'debug' }, secrets: setup.secrets };
    const p = await planWith('local', { ...changed, recorded: { blue: current, green: currentId(changed) } });
    expect(envsOf(p, 'blue').ignoreChanges).toEqual(['envs']);
    expect(envsOf(p, 'green').ignoreChanges).toBeUndefined();
    // A release from before ids were recorded ran no variables: adding some changes no running slot in place.
    const first = await planWith('local', { env: ENV });
    expect([envsOf(first, 'blue').ignoreChanges, envsOf(first, 'green').ignoreChanges]).toEqual([['envs'], ['envs']]);
  });
});

describe('plan --diff with secrets', () => {
  it('a changed secret value shows as [secret] → [secret]; two masks compare as they are', async () => {
    const before = await planWith('local', { secrets: { DATABASE_URL: VALUES.DATABASE_URL } });
    const after = await planWith('local', { secrets: { DATABASE_URL: 'postgres://shop:other@db2/shop' } });
    const changed = diffPlans(before, after).changed.find((r) => r.name === 'shop-blue-container');
    expect(changed?.changes).toEqual([{ path: 'envs', before: SECRET_TEXT, after: SECRET_TEXT }]);
    expect(JSON.stringify(diffPlans(before, after))).not.toMatch(LEAKS);
    expect(diffValues(secretValue({ A: SECRET_TEXT }), secretValue({ A: SECRET_TEXT }))).toEqual([]);
    expect(diffValues(SECRET_TEXT, 'x')).toEqual([{ path: '', before: SECRET_TEXT, after: SECRET_TEXT }]);
  });
});
