// `slipway build [DIR] [--name N] [--app-version V] [--base-image IMG] [--json]`: builds the artifact once and prints its digest-pinned reference, the one
// thing every later step (deploy, promote) takes. Stdout carries only that line (or JSON); Docker's
// build output goes to stderr as progress.
import type { Command } from 'commander';
import { buildArtifact, imageNameProblem, versionTagProblem, type BuiltArtifact, type Runner } from '../../release/build';
import { UsageError } from '../errors';
import type { CommandContext } from '../output';

/** The build context when none is given: the project's example service. */
export const DEFAULT_BUILD_DIR = 'app';

export interface BuildCommandOptions extends CommandContext {
  /** Build context with a Dockerfile, relative to cwd. Default: `app`. */
  dir?: string;
  /** Image name; default: the directory's base name. */
  name?: string;
  /** Default: the context's package.json version, else `0.0.0-<short commit>`. */
  version?: string;
  /** Passed to the Dockerfile as BASE_IMAGE. */
  baseImage?: string;
  /** Print `{ref, digest, imageId, name, version, commit}` as JSON instead of the reference. */
  json?: boolean;
  /** How docker and git are run (tests). */
  run?: Runner;
}

export async function build(opts: BuildCommandOptions): Promise<BuiltArtifact> {
  const dir = opts.dir ?? DEFAULT_BUILD_DIR;
  const problems = [
    ...(opts.name === undefined ? [] : [imageNameProblem(opts.name)].filter(Boolean).map((p) => `--name: ${p}`)),
    ...(opts.version === undefined ? [] : [versionTagProblem(opts.version)].filter(Boolean).map((p) => `--app-version: ${p}`)),
  ];
  if (problems.length > 0) throw new UsageError(problems);
  opts.output.err(`building ${dir}${opts.baseImage ? ` on ${opts.baseImage}` : ''} …`);
  const artifact = await buildArtifact({
    dir,
    cwd: opts.cwd,
    name: opts.name,
    version: opts.version,
    baseImage: opts.baseImage,
    run: opts.run,
    onProgress: (line) => opts.output.err(`  ${line}`),
  });
  opts.output.err(`built ${artifact.name} ${artifact.version} (commit ${artifact.commit})`);
  opts.output.out(opts.json ? JSON.stringify(artifact, null, 2) : artifact.ref);
  return artifact;
}

export function registerBuild(program: Command, ctx: CommandContext): void {
  program
    .command('build')
    .description('build the artifact image once and print its digest-pinned reference')
    .argument('[dir]', 'build context with a Dockerfile', DEFAULT_BUILD_DIR)
    .option('--name <name>', 'image name (default: the directory name)')
    // Not --version: commander gives the root program's -V/--version precedence anywhere on the line.
    .option('--app-version <version>', 'version label (default: package.json version, else 0.0.0-<commit>)')
    .option('--base-image <image>', 'base image passed to the Dockerfile as BASE_IMAGE')
    .option('--json', 'print {ref, digest, imageId, name, version, commit} as JSON')
    .action(async (dir: string, flags: { name?: string; appVersion?: string; baseImage?: string; json?: boolean }) => {
      await build({ ...ctx, dir, name: flags.name, version: flags.appVersion, baseImage: flags.baseImage, json: flags.json === true });
    });
}
