// A throwaway copy of the Slipway project for the real-engine suite: the same program, pipeline and app
// in a temp dir (its own .slipway state and ledger), one Docker stack with free ports and the local
// images, driven the way a user drives it: `node bin/slipway.mjs …` in a shell that sourced
// test/providers/env.sh, against the CLI that `npm run engine:build` made.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { environmentNames } from '../../components/naming';
import { ROOT, rawStack } from '../mocks';
import { docker, ensureNodeBaseImage, requireDockerEngine } from '../support/docker';
import { ensureHaproxyImage } from '../support/haproxyImage';
import { freePorts } from '../support/ports';

export const CLI = join(ROOT, '.slipway', 'pulumi', 'bin', 'pulumi');
const ENV_SH = join(ROOT, 'test', 'providers', 'env.sh');

/** What a copy needs to run: the program, its stacks' schema, the pipeline, the app and the entry. */
const COPIED = ['Pulumi.yaml', 'index.ts', 'package.json', 'tsconfig.json', 'components', 'pipeline', 'app', 'bin', 'stacks'];

export interface StackEdit {
  approval?: 'auto' | 'manual';
  approvers?: string[];
  bakeSeconds?: number;
}

export interface EngineProject {
  dir: string;
  app: string;
  ports: { public: number; test: number };
  baseImage: string;
  publicUrl: string;
  testUrl: string;
  /** Runs `slipway ARGS` in the project, as a user would; never rejects (look at exitCode). */
  slipway(args: string[], opts?: { env?: Record<string, string> }): SlipwayRun;
  /** Writes (or rewrites) stacks/Pulumi.<stack>.yaml: the local stack with this project's names. */
  writeStack(stack: string, edit?: StackEdit): void;
  /** Container names of this project's environment for `stack`. */
  names(stack: string): { blue: string; green: string; router: string; network: string };
  cleanup(): Promise<void>;
}

/** Checks what the suite needs and says how to get it. */
export async function requireEngine(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run engine:build\` first`);
  if (!existsSync(ENV_SH)) throw new Error(`${ENV_SH} is missing`);
  await requireDockerEngine();
}

export async function engineProject(label: string): Promise<EngineProject> {
  await requireEngine();
  const [node, haproxy] = [await ensureNodeBaseImage(), await ensureHaproxyImage()];
  const dir = mkdtempSync(join(tmpdir(), `slipway-engine-${label}-`));
  for (const entry of COPIED) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true, filter: (src) => !/\/stacks\/Pulumi\.[^/]*\.yaml$/.test(src) });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  // An app name per project keeps its containers apart from a developer's own local stack.
  const app = `e2e-${label}`.slice(0, 20).replace(/-+$/, '');
  const [publicPort, testPort] = await freePorts(2);
  const ports = { public: publicPort!, test: testPort! };
  // The names the program gives them (components/naming.ts), so tests find what it created.
  const names = (stack: string) => {
    const n = environmentNames({ app, stack });
    return { blue: n.container('blue'), green: n.container('green'), router: n.router, network: n.network };
  };
  const writeStack = (stack: string, edit: StackEdit = {}) => {
    const raw = rawStack('local');
    raw['slipway:app'].name = app;
    raw['slipway:ports'] = ports;
    raw['slipway:router'] = { image: haproxy.image };
    raw['slipway:promotion'] = {
      approval: edit.approval ?? 'auto',
      approvers: edit.approvers ?? [],
      bakeSeconds: edit.bakeSeconds ?? 2,
    };
    writeFileSync(join(dir, 'stacks', `Pulumi.${stack}.yaml`), stringify({ config: raw }));
  };
  writeStack('local');
  // The dev stack (AWS, through the aws double) for previews.
  writeFileSync(join(dir, 'stacks', 'Pulumi.dev.yaml'), stringify({ config: rawStack('dev') }));

  const slipway: EngineProject['slipway'] = (args, opts = {}) => runSlipway(dir, args, opts.env);

  const cleanup = async () => {
    for (const stack of ['local', 'gated']) {
      const n = names(stack);
      await docker(['rm', '-f', n.blue, n.green, n.router]).catch(() => '');
      await docker(['network', 'rm', n.network]).catch(() => '');
    }
    // The images the project built (`<app>:<version>`), so runs do not pile them up.
    // By tag, not by ID: another project's build of the same app, version and commit shares the ID, and
    // removing a tag leaves an image another tag still names.
    const tagged = (await docker(['images', '--filter', `reference=${app}`, '--format', '{{.Repository}}:{{.Tag}}']).catch(() => ''))
      .split('\n')
      .filter((t) => t && !t.endsWith(':<none>'));
    if (tagged.length > 0) await docker(['rmi', ...new Set(tagged)]).catch(() => '');
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    dir,
    app,
    ports,
    baseImage: node.image,
    publicUrl: `http://127.0.0.1:${ports.public}`,
    testUrl: `http://127.0.0.1:${ports.test}`,
    slipway,
    writeStack,
    names,
    cleanup,
  };
}

/** `slipway ARGS` in `dir`, in a shell that sourced env.sh, as a user runs it. */
function runSlipway(dir: string, args: string[], env: Record<string, string> = {}) {
  return execa('bash', ['-c', `. "${ENV_SH}" && exec node bin/slipway.mjs "$@"`, 'slipway', ...args], {
    cwd: dir,
    reject: false,
    all: true,
    stdin: 'ignore',
    env: { PULUMI_HOME: join(dir, '.pulumi-home'), SLIPWAY_ACTOR: 'e2e', ...env },
  });
}
export type SlipwayRun = ReturnType<typeof runSlipway>;

/** The version a route serves now, or its failure. */
export async function versionAt(url: string): Promise<string> {
  try {
    const res = await fetch(`${url}/version`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return `HTTP ${res.status}`;
    return String(((await res.json()) as { version?: unknown }).version);
  } catch (e) {
    return `unreachable: ${(e as Error).message}`;
  }
}

/** Container id of `name`, or '' when it does not exist. */
export async function containerId(name: string): Promise<string> {
  return (await docker(['inspect', '-f', '{{.Id}}', name]).catch(() => '')).trim();
}

/** Files under `dir` whose bytes match `pattern` (a secret's value, written where it must never be). */
export function filesMatching(dir: string, pattern: RegExp): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const f = join(d, name);
      if (statSync(f).isDirectory()) walk(f);
      else if (pattern.test(readFileSync(f).toString('latin1'))) found.push(f);
    }
  };
  walk(dir);
  return found;
}

/**
 * For an engine driven in this process (the adapter, not `slipway`): what test/providers/env.sh sets up
 * — the provider doubles and the built CLI first on PATH (the engine finds plugins through this
 * process's PATH, so it is set here too; `restore` puts it back) — with a file backend in `stateDir`
 * and the project's own PULUMI_HOME.
 */
export function doublesEnv(dir: string, stateDir: string): { env: NodeJS.ProcessEnv; restore: () => void } {
  const saved = process.env.PATH;
  process.env.PATH = `${join(ROOT, 'test/providers/bin')}:${join(ROOT, '.slipway/pulumi/bin')}:${saved}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${stateDir}`,
    PULUMI_CONFIG_PASSPHRASE: '',
    PULUMI_HOME: join(dir, '.pulumi-home'),
    PULUMI_SKIP_UPDATE_CHECK: 'true',
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
  };
  return { env, restore: () => void (process.env.PATH = saved) };
}
