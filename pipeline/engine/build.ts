// `npm run engine:build`: the Pulumi CLI, and the Node.js language host when the Go module proxy serves
// it, built from their Go modules into .slipway/pulumi/bin, where the adapter looks for a project-local
// CLI. For machines that cannot download the CLI (and for our tests); everyone else gets the official
// one through PulumiCommand.install. engineBuildPlan is pure; runEngineBuild carries the plan out.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { firstLine, UserError } from '../cli/errors';
import { localCliDir } from './automation';

/** Where the CLI's version is stamped at link time (`pulumi version` prints it). */
export const VERSION_SYMBOL = 'github.com/pulumi/pulumi/sdk/v3/go/common/version.Version';
export const CLI_PACKAGE = 'github.com/pulumi/pulumi/pkg/v3/cmd/pulumi';
export const LANGUAGE_HOST_PACKAGE = 'github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3';
export const LAUNCHER = 'pulumi-resource-pulumi-nodejs';

export interface BuildStep {
  what: string;
  cwd: string;
  argv: string[];
  /** Where the step writes its program; gone after a failed step. */
  output: string;
}

export interface EngineBuildPlan {
  /** The @pulumi/pulumi version from package-lock.json, e.g. `3.248.0`. */
  version: string;
  binDir: string;
  stampFile: string;
  /** What the cache compares: a rebuild happens when any input changed. */
  stamp: { version: string; inputs: string };
  cli: BuildStep;
  languageHost: BuildStep;
  launcher: { from: string; to: string };
}

/** The SDK version the lockfile pins (the CLI must match it). */
export function lockedSdkVersion(lockfileText: string, file = 'package-lock.json'): string {
  let lock: unknown;
  try {
    lock = JSON.parse(lockfileText);
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${firstLine(e)})`);
  }
  const version = (lock as { packages?: Record<string, { version?: unknown }> }).packages?.['node_modules/@pulumi/pulumi']?.version;
  if (typeof version !== 'string' || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new UserError(`${file}: packages["node_modules/@pulumi/pulumi"].version: missing or not a release version (x.y.z)`);
  }
  return version;
}

/** The version engine/go.mod requires the CLI's module at, or undefined when it names none. */
export function wrapperCliVersion(goMod: string): string | undefined {
  return /github\.com\/pulumi\/pulumi\/pkg\/v3 v(\d+\.\d+\.\d+)\b/.exec(goMod)?.[1];
}

export function engineBuildPlan(root: string, files: { lockfile: string; goMod: string; goSum: string; hostGoMod: string; launcher: string }): EngineBuildPlan {
  const version = lockedSdkVersion(files.lockfile);
  const wrapped = wrapperCliVersion(files.goMod);
  if (wrapped !== version) {
    throw new UserError(
      `engine/go.mod: requires github.com/pulumi/pulumi/pkg/v3 at ${wrapped ? `v${wrapped}` : 'no version'}, but package-lock.json has ` +
        `@pulumi/pulumi ${version}; run \`cd engine && go get -tool ${CLI_PACKAGE}@v${version}\` and update the pseudo-version in engine/language-nodejs/go.mod`,
    );
  }
  const binDir = join(localCliDir(root), 'bin');
  const ldflags = `-s -w -X ${VERSION_SYMBOL}=v${version}`;
  const goBuild = (pkg: string, output: string, extra: string[] = []) => ['go', 'build', ...extra, '-trimpath', '-ldflags', ldflags, '-o', output, pkg];
  const inputs = createHash('sha256')
    .update([files.goMod, files.goSum, files.hostGoMod, files.launcher].join('\0'))
    .digest('hex')
    .slice(0, 16);
  return {
    version,
    binDir,
    stampFile: join(localCliDir(root), 'engine.json'),
    stamp: { version, inputs },
    cli: { what: `pulumi v${version}`, cwd: join(root, 'engine'), argv: goBuild(CLI_PACKAGE, join(binDir, 'pulumi')), output: join(binDir, 'pulumi') },
    languageHost: {
      what: 'pulumi-language-nodejs',
      cwd: join(root, 'engine', 'language-nodejs'),
      // No go.sum is kept for it (see its go.mod): -mod=mod lets go resolve it, or report the refusal.
      argv: goBuild(LANGUAGE_HOST_PACKAGE, join(binDir, 'pulumi-language-nodejs'), ['-mod=mod']),
      output: join(binDir, 'pulumi-language-nodejs'),
    },
    launcher: { from: join(root, 'engine', LAUNCHER), to: join(binDir, LAUNCHER) },
  };
}

/** What the last build left: compared with the plan's stamp to skip work. */
export interface EngineStamp {
  version: string;
  inputs: string;
  /** `built`, or why the language host is missing (programs then run inline, see the README). */
  languageHost: string;
}

export interface EngineBuildResult extends EngineStamp {
  cli: string;
  cached: boolean;
  seconds: number;
}

export async function runEngineBuild(root: string, log: (line: string) => void = () => {}): Promise<EngineBuildResult> {
  const started = Date.now();
  const read = (rel: string) => readFileSync(join(root, rel), 'utf8');
  const plan = engineBuildPlan(root, {
    lockfile: read('package-lock.json'),
    goMod: read('engine/go.mod'),
    goSum: read('engine/go.sum'),
    hostGoMod: read('engine/language-nodejs/go.mod'),
    launcher: read(`engine/${LAUNCHER}`),
  });
  const previous = readStamp(plan.stampFile);
  const cliVersion = await versionOf(plan.cli.output);
  const done = (stamp: EngineStamp, cached: boolean): EngineBuildResult => ({
    ...stamp,
    cli: plan.cli.output,
    cached,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  });
  if (previous && previous.version === plan.version && previous.inputs === plan.stamp.inputs && cliVersion === `v${plan.version}` && existsSync(plan.launcher.to)) {
    return done(previous, true);
  }
  await requireGo();
  mkdirSync(plan.binDir, { recursive: true });
  rmSync(plan.stampFile, { force: true });

  if (cliVersion !== `v${plan.version}`) {
    log(`building ${plan.cli.what} from its Go module (a few minutes the first time)`);
    await runStep(plan.cli);
  }
  let languageHost = 'built';
  log(`building ${plan.languageHost.what}`);
  try {
    await runStep(plan.languageHost);
  } catch (e) {
    languageHost = `not built: ${firstLine(e)}`;
    log(`${plan.languageHost.what} ${languageHost}; Slipway runs the program inline through the Automation API instead`);
  }
  copyFileSync(plan.launcher.from, plan.launcher.to);
  chmodSync(plan.launcher.to, 0o755);
  const stamp: EngineStamp = { ...plan.stamp, languageHost };
  writeFileSync(plan.stampFile, `${JSON.stringify(stamp, null, 2)}\n`);
  return done(stamp, false);
}

async function runStep(step: BuildStep): Promise<void> {
  const res = await execa(step.argv[0]!, step.argv.slice(1), { cwd: step.cwd, reject: false, all: true, stdin: 'ignore' });
  if (res.exitCode !== 0) {
    rmSync(step.output, { force: true });
    // go's own message names the module and the refusal; its last meaningful line is the reason.
    const lines = String(res.all ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
    const reason = lines.find((l) => /403|not available|cannot find|no matching|error/i.test(l)) ?? lines.at(-1) ?? `exit ${res.exitCode}`;
    throw new Error(`go build failed: ${reason}`);
  }
}

async function versionOf(bin: string): Promise<string | undefined> {
  if (!existsSync(bin)) return undefined;
  const res = await execa(bin, ['version'], { reject: false, env: { PULUMI_SKIP_UPDATE_CHECK: 'true' }, timeout: 30_000 });
  return res.exitCode === 0 ? String(res.stdout).trim() : undefined;
}

async function requireGo(): Promise<void> {
  const res = await execa('go', ['version'], { reject: false });
  if (res.exitCode !== 0) {
    throw new UserError('go: not found on PATH; install the Go toolchain (1.25 or newer) to build the Pulumi CLI, or install the official CLI');
  }
}

function readStamp(file: string): EngineStamp | undefined {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as Partial<EngineStamp>;
    if (typeof s.version === 'string' && typeof s.inputs === 'string' && typeof s.languageHost === 'string') {
      return { version: s.version, inputs: s.inputs, languageHost: s.languageHost };
    }
  } catch {
    // no stamp, or an unreadable one: build
  }
  return undefined;
}
