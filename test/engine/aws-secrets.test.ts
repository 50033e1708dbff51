// The app's secrets on an AWS stack, through the real engine and the aws provider double: the pipeline
// deploys a release, then the same artifact again after the secret's value changed. Each slot's tasks
// get the secret only through the task definition's `secrets` (from that slot's Secrets Manager secret),
// the execution role may read exactly those secrets, the slot that was live keeps its task definition
// and its secret's value, and the state holds the values only encrypted. Nothing reaches AWS: the smoke
// checks and alarms, which only AWS could answer, are stubbed (as in aws-recovery.test.ts).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memorySink } from '../../pipeline/cli/output';
import { createPulumiEngine } from '../../pipeline/engine/automation';
import { deploy, type DeployContext } from '../../pipeline/release/deploy';
import { deployContext } from '../../pipeline/release/context';
import { ROOT } from '../mocks';
import { doublesEnv, engineProject, filesMatching, type EngineProject } from './project';

const REPO = '123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway/shop-dev';
const ARTIFACT = { ref: `${REPO}:1.0.0@sha256:${'a'.repeat(64)}`, digest: `sha256:${'a'.repeat(64)}`, version: '1.0.0' };
const FIRST = 'postgres://shop:first-Hq52mN@db-one.internal/shop';
const SECOND = 'postgres://shop:second-Vr38cX@db-two.internal/shop';
const LEAKS = /first-Hq52mN|second-Vr38cX|db-one\.internal|db-two\.internal/;

interface StateResource {
  urn: string;
  type: string;
  id?: string;
  inputs?: Record<string, any>;
  outputs?: Record<string, any>;
}

let p: EngineProject;
let env: Record<string, string | undefined>;
let restorePath = () => {};
const stateDir = () => join(p.dir, '.slipway', 'state-aws');

const context = (): DeployContext => ({
  ...deployContext({ cwd: p.dir, output: memorySink(), env, verbose: false }, { actor: 'e2e' }, { engine: createPulumiEngine({ root: p.dir, env: env as NodeJS.ProcessEnv, targetOf: () => 'aws' }) }),
  smoke: async (o) => ({ ok: true, url: o.baseUrl, elapsedMs: 1, checks: [] }),
  signals: () => ({ firing: async () => [] }),
  timing: { verifyIntervalMs: 10 },
});

function pulumi(args: string[], input?: string) {
  return execa('bash', ['-c', `. "${join(ROOT, 'test', 'providers', 'env.sh')}" && exec pulumi "$@"`, 'pulumi', ...args, '--stack', 'dev'], {
    cwd: p.dir,
    env: { PULUMI_BACKEND_URL: env.PULUMI_BACKEND_URL!, PULUMI_CONFIG_PASSPHRASE: '', PULUMI_HOME: env.PULUMI_HOME! },
    reject: false,
    all: true,
    ...(input === undefined ? { stdin: 'ignore' as const } : { input }),
  });
}

/** The state as `pulumi stack export` prints it, with or without the secrets decrypted. */
async function exported(showSecrets: boolean): Promise<{ text: string; resources: StateResource[] }> {
  const r = await pulumi(['stack', 'export', ...(showSecrets ? ['--show-secrets'] : [])]);
  expect(r.exitCode, r.all).toBe(0);
  return { text: r.stdout, resources: (JSON.parse(r.stdout) as { deployment: { resources: StateResource[] } }).deployment.resources };
}
const one = (rs: StateResource[], type: string, name: string) => {
  const found = rs.filter((r) => r.type === type && r.urn.endsWith(`::${name}`));
  expect(found.length, `${type} ${name}`).toBe(1);
  return found[0]!;
};
const container = (rs: StateResource[], slot: string) => JSON.parse(one(rs, 'aws:ecs/taskDefinition:TaskDefinition', `shop-${slot}-task`).inputs!.containerDefinitions)[0];
/** A slot's secret value as `--show-secrets` prints it: a secret envelope around the JSON of the value. */
const secretValueOf = (rs: StateResource[], slot: string): string => {
  const v = one(rs, 'aws:secretsmanager/secretVersion:SecretVersion', `shop-secrets-${slot}-value`).outputs!.secretString as { plaintext: string };
  return JSON.parse(v.plaintext) as string;
};
const release = () => (parse(readFileSync(join(p.dir, 'stacks', 'Pulumi.dev.yaml'), 'utf8')) as { config: Record<string, any> }).config['slipway:release'];

beforeAll(async () => {
  p = await engineProject('awssec');
  const file = join(p.dir, 'stacks', 'Pulumi.dev.yaml');
  const doc = parse(readFileSync(file, 'utf8')) as { config: Record<string, any> };
  doc.config['slipway:app'].env = { LOG_LEVEL: 'info' };
  doc.config['slipway:app'].secrets = ['DATABASE_URL'];
  doc.config['slipway:promotion'].bakeSeconds = 0;
  writeFileSync(file, stringify(doc));
  mkdirSync(stateDir(), { recursive: true });
  const doubles = doublesEnv(p.dir, stateDir());
  env = doubles.env;
  restorePath = doubles.restore;
  // The stack exists once selected; then its secret can be set, encrypted with its passphrase.
  await createPulumiEngine({ root: p.dir, env: env as NodeJS.ProcessEnv, targetOf: () => 'aws' }).selectStack('dev');
  const set = await pulumi(['config', 'set', '--secret', 'slipway:secret.DATABASE_URL'], FIRST);
  expect(set.exitCode, set.all).toBe(0);
}, 120_000);
afterAll(async () => {
  restorePath();
  await p?.cleanup();
});

describe.sequential('app secrets on an AWS stack (real engine, aws double)', () => {
  let first: StateResource[];

  it('a release: the slot\'s tasks get the secret through `secrets` only, and the execution role may read just that secret', async () => {
    await deploy(context(), 'dev', ARTIFACT);
    expect(release()).toMatchObject({ live: 'green', green: { image: ARTIFACT.ref, config: expect.stringMatching(/^[0-9a-f]{16}$/) } });
    first = (await exported(true)).resources;
    const secret = one(first, 'aws:secretsmanager/secret:Secret', 'shop-secrets-green');
    expect(secret.id).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:slipway\/shop\/dev\/green-[A-Za-z0-9]{6}$/);
    const c = container(first, 'green');
    expect(c.secrets).toEqual([{ name: 'DATABASE_URL', valueFrom: `${secret.id}:DATABASE_URL::` }]);
    expect(c.environment).toEqual([{ name: 'APP_VERSION', value: '1.0.0' }, { name: 'LOG_LEVEL', value: 'info' }]);
    expect(JSON.parse(secretValueOf(first, 'green'))).toEqual({ DATABASE_URL: FIRST });
    const policy = one(first, 'aws:iam/rolePolicy:RolePolicy', 'shop-secrets-read');
    expect(JSON.parse(policy.inputs!.policy).Statement).toEqual([{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: [secret.id] }]);
  });

  it('a changed value, the same artifact: the idle slot gets it; the slot that was live keeps its task definition and value', async () => {
    const set = await pulumi(['config', 'set', '--secret', 'slipway:secret.DATABASE_URL'], SECOND);
    expect(set.exitCode, set.all).toBe(0);
    await deploy(context(), 'dev', ARTIFACT);
    expect(release().live).toBe('blue');
    const now = (await exported(true)).resources;
    const task = (rs: StateResource[]) => one(rs, 'aws:ecs/taskDefinition:TaskDefinition', 'shop-green-task').outputs!.arn;
    expect(task(now)).toBe(task(first));
    expect(JSON.parse(secretValueOf(now, 'green'))).toEqual({ DATABASE_URL: FIRST });
    expect(JSON.parse(secretValueOf(now, 'blue'))).toEqual({ DATABASE_URL: SECOND });
    const arns = ['blue', 'green'].map((s) => one(now, 'aws:secretsmanager/secret:Secret', `shop-secrets-${s}`).id);
    expect(container(now, 'blue').secrets).toEqual([{ name: 'DATABASE_URL', valueFrom: `${arns[0]}:DATABASE_URL::` }]);
    expect(JSON.parse(one(now, 'aws:iam/rolePolicy:RolePolicy', 'shop-secrets-read').inputs!.policy).Statement[0].Resource).toEqual(arns);
  });

  it('the state holds the values only encrypted: the export without --show-secrets and every state file', async () => {
    const { text } = await exported(false);
    expect(text).toContain('ciphertext');
    expect(text).not.toMatch(LEAKS);
    expect(filesMatching(join(p.dir, '.slipway'), LEAKS)).toEqual([]);
    expect(readFileSync(join(p.dir, 'stacks', 'Pulumi.dev.yaml'), 'utf8')).not.toMatch(LEAKS);
  });
});
