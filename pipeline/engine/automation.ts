// The engine port on Pulumi's Automation API: a LocalWorkspace over this project directory, so the
// CLI reads Pulumi.yaml (and its stackConfigDir: stacks) exactly as `pulumi up` does.
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { execa } from 'execa';
import { SemVer } from 'semver';
import * as auto from '@pulumi/pulumi/automation';
import type { EngineEvent, EnginePort, OperationOptions, PreviewResult, PreviewStep, StackHandle } from './port';
import { parseConfigEntry } from '../../stacks/load';
import { EngineFailed, firstLine, LockHeld, SlipwayError, UserError } from '../cli/errors';
import { inlineProgram, projectOf } from './program';

export interface PulumiEngineOptions {
  /** Project root (holds Pulumi.yaml). */
  root: string;
  env?: NodeJS.ProcessEnv;
  /** Stack targets by name, to pick the default backend; `docker` stacks default to a local file backend. */
  targetOf?: (stack: string) => string | undefined;
  /** Finds or installs the CLI; injectable so the missing-CLI path can be tested. */
  resolveCli?: (root: string) => Promise<auto.PulumiCommand>;
}

/** Where `PulumiCommand.install` puts a project-local CLI. */
export function localCliDir(root: string): string {
  return join(root, '.slipway', 'pulumi');
}

/** The version of the Pulumi SDK we run; a project-local CLI is pinned to it. */
export function sdkVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('@pulumi/pulumi/package.json') as { version: string }).version;
}

/**
 * Backend and secrets defaults. PULUMI_BACKEND_URL always wins; otherwise a Docker stack keeps its
 * state in a file backend inside the project, so the local environment needs no account.
 */
export function engineEnv(root: string, target: string | undefined, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  if (!env.PULUMI_BACKEND_URL && target === 'docker') {
    out.PULUMI_BACKEND_URL = `file://${join(root, '.slipway', 'state')}`;
    // The local stack holds no secrets; an empty passphrase keeps it non-interactive.
    if (env.PULUMI_CONFIG_PASSPHRASE === undefined && env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined) {
      out.PULUMI_CONFIG_PASSPHRASE = '';
    }
  }
  return out;
}

/** The CLI on PATH, else a project-local install; undefined when neither exists. Never downloads. */
export async function findPulumiCli(root: string): Promise<auto.PulumiCommand | undefined> {
  for (const opts of [{}, { root: localCliDir(root) }]) {
    try {
      return await auto.PulumiCommand.get({ ...opts, skipVersionCheck: true });
    } catch {
      // not there; try the next place
    }
  }
  return undefined;
}

/** Downloads the CLI matching our SDK into the project (the Automation API's own installer). */
export async function installPulumiCli(dir: string): Promise<auto.PulumiCommand> {
  return auto.PulumiCommand.install({ root: dir, version: new SemVer(sdkVersion()) });
}

/** PATH first, then a project-local install, then PulumiCommand.install pinned to the SDK's version. */
export async function resolvePulumiCli(
  root: string,
  deps: { find?: typeof findPulumiCli; install?: typeof installPulumiCli } = {},
): Promise<auto.PulumiCommand> {
  const found = await (deps.find ?? findPulumiCli)(root);
  if (found) return found;
  const dir = localCliDir(root);
  try {
    return await (deps.install ?? installPulumiCli)(dir);
  } catch (e) {
    throw new UserError(
      `the Pulumi CLI is not on PATH and could not be installed into ${dir} (${firstLine(e)}); ` +
        `install it (see https://www.pulumi.com/docs/iac/download-install/) and re-run — nothing was changed`,
    );
  }
}

export function createPulumiEngine(opts: PulumiEngineOptions): EnginePort {
  const env = opts.env ?? process.env;
  let cli: Promise<auto.PulumiCommand> | undefined;
  // One handle per stack per process: each select is a CLI call, and a command selects more than once.
  const handles = new Map<string, Promise<StackHandle>>();
  const select = async (stackName: string, create = true): Promise<StackHandle | undefined> => {
    cli ??= (opts.resolveCli ?? resolvePulumiCli)(opts.root);
    const pulumiCommand = await cli;
    const defaults = engineEnv(opts.root, opts.targetOf?.(stackName), env);
    // The CLI runs with the command's environment (which need not be this process's), plus defaults.
    const envVars = { ...definedEntries(env), ...defaults };
    if (defaults.PULUMI_BACKEND_URL) {
      const dir = fileURLToPath(defaults.PULUMI_BACKEND_URL);
      // The file backend wants its directory to exist before the first `stack init`; without it, no stack.
      if (!create && !existsSync(dir)) return undefined;
      mkdirSync(dir, { recursive: true });
    }
    const how = create ? auto.LocalWorkspace.createOrSelectStack.bind(auto.LocalWorkspace) : auto.LocalWorkspace.selectStack.bind(auto.LocalWorkspace);
    try {
      const stack = await guard(stackName, () =>
        hasLanguageHost(pulumiCommand.command, env)
          ? how({ stackName, workDir: opts.root }, { pulumiCommand, envVars })
          : how({ stackName, projectName: projectOf(opts.root).name, program: inlineProgram(opts.root) }, { workDir: opts.root, pulumiCommand, envVars }),
      );
      return wrapStack(stack);
    } catch (e) {
      if (!create && e instanceof auto.StackNotFoundError) return undefined;
      throw e;
    }
  };
  return {
    selectStack(stackName) {
      let handle = handles.get(stackName);
      if (!handle) {
        handle = select(stackName) as Promise<StackHandle>;
        handles.set(stackName, handle);
        // A failed select (no CLI, lock held) is not remembered: the next call tries again.
        handle.catch(() => handles.delete(stackName));
      }
      return handle;
    },
    async findStack(stackName) {
      return handles.get(stackName) ?? select(stackName, false);
    },
  };
}

/**
 * Whether the CLI can run the program itself: it needs the Node.js language host beside it or on PATH
 * (official installs ship both). A CLI built by `npm run engine:build` may lack it, when the Go module
 * proxy does not serve the host's module; the program then runs inline, in this process.
 */
export function hasLanguageHost(cliPath: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const dirs = [dirname(cliPath), ...(env.PATH ?? '').split(delimiter).filter(Boolean)];
  return dirs.some((dir) => existsSync(join(dir, 'pulumi-language-nodejs')));
}

function definedEntries(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

function wrapStack(stack: auto.Stack): StackHandle {
  const name = stack.name;
  return {
    name,
    async getConfig() {
      const all = await guard(name, () => stack.getAllConfig());
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(all)) out[k] = parseConfigEntry(k, v.value);
      return out;
    },
    async setConfig(values) {
      // `config set-all --json` takes the same shape `pulumi config --json` prints; objectValue keeps
      // structured values as YAML maps in the stack file instead of JSON strings.
      const doc: Record<string, { value: string; objectValue?: unknown; secret: boolean }> = {};
      for (const [k, v] of Object.entries(values)) {
        doc[k] =
          typeof v === 'object' && v !== null
            ? { value: JSON.stringify(v), objectValue: v, secret: false }
            : { value: String(v), secret: false };
      }
      await guard(name, () => stack.setAllConfigJson(JSON.stringify(doc)));
    },
    async preview(o = {}) {
      const steps: PreviewStep[] = [];
      const res = await guard(name, () =>
        stack.preview({ ...common(o), diff: true, onEvent: (e) => collect(e, steps, o.onEvent) }),
      );
      return { changes: numbers(res.changeSummary), steps };
    },
    async up(o = {}) {
      const res = await guard(name, () => stack.up({ ...common(o), ...(o.target ? { target: o.target } : {}), ...(o.replace ? { replace: o.replace } : {}), onEvent: (e) => collect(e, [], o.onEvent) }));
      const outputs: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(res.outputs)) outputs[k] = v.value;
      return { changes: numbers(res.summary.resourceChanges), outputs };
    },
    async refresh(o = {}) {
      const steps: PreviewStep[] = [];
      const res = await guard(name, () =>
        stack.refresh({ ...common(o), previewOnly: o.previewOnly, onEvent: (e) => collect(e, steps, o.onEvent) }),
      );
      return { changes: numbers(res.summary.resourceChanges), steps } satisfies PreviewResult;
    },
    async destroy(o = {}) {
      const res = await guard(name, () => stack.destroy({ ...common(o), onEvent: (e) => collect(e, [], o.onEvent) }));
      return { changes: numbers(res.summary.resourceChanges) };
    },
    async outputs() {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(await guard(name, () => stack.outputs()))) out[k] = v.value;
      return out;
    },
    exportState: () => guard(name, () => exportEncrypted(stack)),
    async importState(state) {
      await guard(name, () => stack.importStack(state as auto.Deployment));
    },
    cancel: () => guard(name, () => stack.cancel()),
    getTag: async (tag) => (await guard(name, () => stack.listTags()))[tag],
    setTag: (tag, value) => guard(name, () => stack.setTag(tag, value)),
  };
}

/**
 * `pulumi stack export` as the workspace runs its commands, but without `--show-secrets`, which the
 * Automation API's exportStack always passes: secrets stay the backend's ciphertext (what a backup
 * holds), and `importStack` takes them back as they are.
 */
async function exportEncrypted(stack: auto.Stack): Promise<unknown> {
  const ws = stack.workspace as auto.LocalWorkspace;
  const env: Record<string, string> = { ...(ws.pulumiHome ? { PULUMI_HOME: ws.pulumiHome } : {}), ...ws.envVars, PULUMI_AUTOMATION_API: 'true' };
  const cli = ws.pulumiCommand.command;
  if (isAbsolute(cli)) env.PATH = `${dirname(cli)}${delimiter}${env.PATH ?? process.env.PATH ?? ''}`;
  const args = ['stack', 'export', '--stack', stack.name, '--non-interactive'];
  const r = await execa(cli, args, { cwd: ws.workDir, env, reject: false, maxBuffer: 2 ** 30, stripFinalNewline: false });
  if (r.exitCode !== 0) throw new EngineFailed(`stack ${stack.name}: pulumi stack export exited with ${r.exitCode}: ${engineErrorLine(new Error(r.stderr || r.stdout))}`);
  return JSON.parse(r.stdout) as unknown;
}

function common(o: OperationOptions) {
  return { message: o.message, signal: o.signal, color: 'never' as const };
}

/** Turns Automation API engine events into port events, collecting preview steps on the way. */
export function collect(e: auto.EngineEvent, steps: PreviewStep[], onEvent?: (ev: EngineEvent) => void): void {
  let ev: EngineEvent | undefined;
  if (e.resourcePreEvent) {
    const m = e.resourcePreEvent.metadata;
    ev = { kind: 'resource', op: m.op, urn: m.urn, type: m.type, status: 'started' };
    // A refresh announces every resource as `refresh` before reading it; what it found comes after.
    if (m.op !== 'same' && m.op !== 'refresh') steps.push(stepOf(m));
  } else if (e.resOutputsEvent) {
    const m = e.resOutputsEvent.metadata;
    ev = { kind: 'resource', op: m.op, urn: m.urn, type: m.type, status: 'done' };
    // The outcome of a refresh (`delete`: gone outside Pulumi; `update`: changed). For up and preview
    // the step was already taken from its pre event.
    if (m.op !== 'same' && !steps.some((s) => s.urn === m.urn)) steps.push(stepOf(m));
  } else if (e.resOpFailedEvent) {
    const m = e.resOpFailedEvent.metadata;
    ev = { kind: 'resource', op: m.op, urn: m.urn, type: m.type, status: 'failed' };
  } else if (e.diagnosticEvent) {
    const d = e.diagnosticEvent;
    const severity = d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'info';
    ev = { kind: 'diagnostic', severity, message: d.message.trim(), ...(d.urn ? { urn: d.urn } : {}) };
  } else if (e.summaryEvent) {
    ev = { kind: 'summary', changes: numbers(e.summaryEvent.resourceChanges) };
  }
  if (ev) onEvent?.(ev);
}

function stepOf(m: auto.StepEventMetadata): PreviewStep {
  const diff: Record<string, string> = {};
  for (const [path, d] of Object.entries(m.detailedDiff ?? {})) diff[path] = d.diffKind;
  // Top-level keys only where the provider gave no detailed diff (they would repeat its paths).
  if (!m.detailedDiff) for (const key of m.diffs ?? []) diff[key] = 'update';
  return {
    op: m.op,
    urn: m.urn,
    type: m.type,
    diff,
    ...(m.keys ? { replaceReasons: m.keys } : {}),
    ...(m.old ? { old: { inputs: m.old.inputs, outputs: m.old.outputs } } : {}),
    ...(m.new ? { new: { inputs: m.new.inputs, outputs: m.new.outputs } } : {}),
  };
}

/** Maps the Automation API's errors to ours: a held lock is its own, expected failure. */
async function guard<T>(stack: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof auto.ConcurrentUpdateError) {
      throw new LockHeld(`stack ${stack} is locked by another update in progress; wait for it, or if it died, run \`pulumi cancel --stack ${stack}\``);
    }
    // A failed engine operation is the environment's problem, not a bug: one line, exit 1. A missing
    // stack stays itself (findStack answers it).
    if (e instanceof auto.CommandError && !(e instanceof auto.StackNotFoundError)) {
      throw new EngineFailed(`stack ${stack}: ${engineErrorLine(e)}`, { cause: e });
    }
    throw e;
  }
}

/**
 * The line that says why a CLI run failed: its last `error: …` line other than the generic "update
 * failed" (a provider's own message), else its first line; cut at 300 characters.
 */
export function engineErrorLine(e: unknown): string {
  if (e instanceof SlipwayError) return firstLine(e);
  const lines = String(e instanceof Error ? e.message : e).split('\n').map((l) => l.trim());
  const errors = lines.filter((l) => /^error: /.test(l) && !/^error: update failed$/.test(l));
  const line = errors.at(-1) ?? firstLine(e);
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

function numbers(m: Record<string, number | undefined> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(m ?? {})) if (typeof v === 'number') out[k] = v;
  return out;
}
