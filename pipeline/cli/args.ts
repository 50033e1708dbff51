// Command-line values checked before a command touches anything. A value that is malformed as typed
// (a stack name that cannot be one, a version with a space) is a usage error (exit 64); a well-formed
// value naming something that does not exist (no such stack file) is a failure (exit 1).
import { existsSync } from 'node:fs';
import { listStacks, stackFile, STACKS_DIR } from '../../stacks/load';
import { show } from '../../stacks/show';
import { stackNameProblem } from '../../stacks/validate';
import { UsageError, UserError } from './errors';

/** A `--stack` value that can be a stack name (checked before it becomes part of a path). */
export function stackName(stack: string, flag = '--stack'): string {
  const problem = stackNameProblem(stack);
  if (problem) throw new UsageError(`${flag}: ${problem}`);
  return stack;
}

/** A `--stack` value naming a stack file that exists; the error names the stack files there are. */
export function existingStack(stack: string, cwd: string, flag = '--stack'): string {
  stackName(stack, flag);
  if (!existsSync(stackFile(stack, cwd))) {
    const known = listStacks(cwd);
    throw new UserError(`${flag}: ${show(stack)} has no stack file ${STACKS_DIR}/Pulumi.${stack}.yaml (stacks: ${known.join(', ') || 'none'})`);
  }
  return stack;
}
