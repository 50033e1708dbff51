// `slipway deploy --stack S (--artifact REF | --build DIR)`: one release to live traffic, the same
// way on every stack. `slipway promote --from A --to B` deploys the exact digest live in A.
import type { Command } from 'commander';
import { loadStackFile } from '../../../stacks/load';
import { IMAGE_REF_RE, versionLabelProblem, type SlipwayConfig } from '../../../stacks/schema';
import { show } from '../../../stacks/show';
import { buildArtifact, buildContextProblem, imageNameProblem, parseImageRef, pushArtifact, versionTagProblem } from '../../release/build';
import { deploy, type Artifact, type DeployOutcome } from '../../release/deploy';
import { existingStack } from '../args';
import { AwaitingApproval, UsageError, UserError } from '../errors';
import type { CommandContext } from '../output';
import { deployContext, interruptSignal, type PipelineFlags, type PipelineOverrides } from '../../release/context';
import { digestOf } from '../../../components/slots';

export interface DeployOptions extends CommandContext, PipelineFlags, PipelineOverrides {
  stack: string;
  /** An image pinned by digest; its tag is the version unless `appVersion` is given. */
  artifact?: string;
  /** Build this directory once (docker) instead of taking `artifact`. */
  build?: string;
  name?: string;
  appVersion?: string;
  baseImage?: string;
}

/** Parses `--artifact`; the version comes from `--app-version` or the reference's tag. */
export function artifactFromRef(ref: string, appVersion?: string): Artifact {
  if (!IMAGE_REF_RE.test(ref)) {
    throw new UsageError(`--artifact: ${show(ref)} is not an image reference pinned by digest (repository[:tag]@sha256:<64 hex>)`);
  }
  const parsed = parseImageRef(ref);
  const version = appVersion ?? parsed.tag;
  if (!version) throw new UsageError(`--artifact: ${show(ref)} has no tag to take the version from; add --app-version`);
  // The version is written into the stack file as the slot's release: check it before anything is.
  const problem = versionLabelProblem(version);
  if (problem) throw new UsageError(appVersion !== undefined ? `--app-version: ${problem}` : `--artifact: the tag ${problem}; pass --app-version`);
  return { ref, digest: parsed.digest, version };
}

/**
 * Everything about the command line and the files it names, checked before the engine is reached
 * or anything changes: the flags' syntax (exit 64), then the stack file and the build directory.
 */
function checkDeployArgs(opts: DeployOptions): { config: SlipwayConfig; given?: Artifact } {
  if (opts.artifact === undefined && opts.build === undefined) throw new UsageError('deploy: give one of --artifact REF@sha256:… or --build DIR');
  if (opts.artifact !== undefined && opts.build !== undefined) throw new UsageError('deploy: give --artifact or --build, not both');
  const given = opts.artifact !== undefined ? artifactFromRef(opts.artifact, opts.appVersion) : undefined;
  if (opts.build !== undefined) {
    const version = opts.appVersion === undefined ? undefined : versionTagProblem(opts.appVersion);
    if (version) throw new UsageError(`--app-version: ${version}`);
    const name = opts.name === undefined ? undefined : imageNameProblem(opts.name);
    if (name) throw new UsageError(`--name: ${name}`);
  }
  existingStack(opts.stack, opts.cwd);
  const loaded = loadStackFile(opts.stack, opts.cwd);
  if (!loaded.ok) throw new UserError(loaded.errors);
  const context = opts.build === undefined ? undefined : buildContextProblem(opts.build, opts.cwd);
  if (context) throw new UserError(`--build: ${context}`);
  return { config: loaded.config, ...(given ? { given } : {}) };
}

export async function deployCommand(opts: DeployOptions): Promise<DeployOutcome> {
  const { config, given } = checkDeployArgs(opts);
  const ctx = deployContext(opts, opts, opts);
  // Reach the engine first: a missing Pulumi CLI should stop us before a long build, not after.
  const handle = await ctx.engine.selectStack(opts.stack);
  let artifact: Artifact;
  if (given) {
    artifact = given;
  } else {
    const p = ctx.progress.step('build', opts.build);
    const built = await buildArtifact({ dir: opts.build!, cwd: opts.cwd, name: opts.name ?? config.app.name, version: opts.appVersion, baseImage: opts.baseImage });
    let resolved = built;
    if (config.target === 'aws') {
      // AWS pulls from the environment's ECR repository: push there and pin the registry digest.
      const outputs = await handle.outputs();
      const repo = String(outputs.repositoryUrl ?? '');
      if (!repo) throw new UserError(`stack ${opts.stack} has no ECR repository yet: run \`pulumi up --stack ${opts.stack}\` once, or deploy an --artifact`);
      resolved = await pushArtifact(built, repo);
    }
    p.ok(resolved.ref);
    artifact = { ref: resolved.ref, digest: resolved.digest, version: resolved.version, commit: resolved.commit };
  }
  return report(opts, await runOrReportGate(opts, () => deploy(ctx, opts.stack, artifact)));
}

export interface PromoteOptions extends CommandContext, PipelineFlags, PipelineOverrides {
  from: string;
  to: string;
}

/** The artifact live in a stack, exactly as recorded in its stack configuration. Never rebuilds. */
export function liveArtifact(stack: string, config: SlipwayConfig): Artifact {
  const live = config.release.live;
  const r = config.release[live];
  if (!r.image || !r.version) throw new UserError(`--from: stack ${stack} has nothing live (slot ${live} has no release)`);
  return { ref: r.image, digest: digestOf(r.image), version: r.version };
}

export async function promoteCommand(opts: PromoteOptions): Promise<DeployOutcome> {
  existingStack(opts.from, opts.cwd, '--from');
  existingStack(opts.to, opts.cwd, '--to');
  if (opts.from === opts.to) throw new UsageError('promote: --from and --to name the same stack');
  const src = loadStackFile(opts.from, opts.cwd);
  if (!src.ok) throw new UserError(src.errors);
  const artifact = liveArtifact(opts.from, src.config);
  const dst = loadStackFile(opts.to, opts.cwd);
  if (!dst.ok) throw new UserError(dst.errors);
  if (src.config.target === 'docker' && dst.config.target === 'aws') {
    throw new UserError(`promote: ${opts.from} runs local Docker images (no registry digest); promote to AWS from an AWS stack`);
  }
  opts.output.err(`promoting ${artifact.version} (${artifact.digest}) from ${opts.from} to ${opts.to}`);
  return deployCommand({ ...opts, stack: opts.to, artifact: artifact.ref, appVersion: artifact.version });
}

async function runOrReportGate(opts: DeployOptions, fn: () => Promise<DeployOutcome>): Promise<DeployOutcome> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof AwaitingApproval && opts.json) opts.output.out(JSON.stringify({ status: 'awaiting-approval', message: e.problems }, null, 2));
    throw e;
  }
}

function report(opts: CommandContext & PipelineFlags, out: DeployOutcome): DeployOutcome {
  if (opts.json) opts.output.out(JSON.stringify(out, null, 2));
  else opts.output.out(`${out.artifact.version} is live on ${out.stack} (slot ${out.slot}) at ${out.publicUrl ?? '?'} — deployment ${out.deploymentId}`);
  return out;
}

const actorHelp = 'who is deploying (default $SLIPWAY_ACTOR, $GITHUB_ACTOR or the OS user)';

export function registerDeploy(program: Command, ctx: CommandContext): void {
  program
    .command('deploy')
    .description('deploy an artifact to the idle slot, smoke-test it, (await approval,) switch traffic, verify, or roll back')
    .requiredOption('-s, --stack <name>', 'stack to deploy to (stacks/Pulumi.<name>.yaml)')
    .option('--artifact <ref>', 'image pinned by digest: repository[:tag]@sha256:<64 hex>')
    .option('--build <dir>', 'build this directory once with docker and deploy the result')
    .option('--name <name>', 'image name when building (default: the app name)')
    .option('--app-version <version>', 'version label (default: the artifact tag, or the app package version)')
    .option('--base-image <image>', 'BASE_IMAGE build argument, e.g. a mirrored node image')
    .option('--actor <name>', actorHelp)
    .option('--json', 'print the outcome as JSON on stdout and progress as JSON lines on stderr')
    .action(async (f: { stack: string; artifact?: string; build?: string; name?: string; appVersion?: string; baseImage?: string; actor?: string; json?: boolean }) => {
      await deployCommand({ ...ctx, ...f, signal: interruptSignal() });
    });
  program
    .command('promote')
    .description('deploy to one stack the exact artifact (same digest) live in another; never rebuilds')
    .requiredOption('--from <stack>', 'stack whose live artifact to take')
    .requiredOption('--to <stack>', 'stack to deploy it to')
    .option('--actor <name>', actorHelp)
    .option('--json', 'print the outcome as JSON')
    .action(async (f: { from: string; to: string; actor?: string; json?: boolean }) => {
      await promoteCommand({ ...ctx, ...f, signal: interruptSignal() });
    });
}
