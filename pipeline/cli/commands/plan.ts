// `slipway plan --stack NAME [--json]`: the resources the program would register for a stack, found
// offline by running the real program under the Pulumi SDK's mocks (no engine, no cloud).
// `slipway plan --diff BASE_REF [--stack NAME] [--json]`: per stack, what the working tree changes
// against a git ref — resources added, removed and changed — also offline, so it works on forks.
import type { Command } from 'commander';
import { isComputed, planStack, type Plan, type PlannedResource } from '../../review/plan';
import { diffAgainstRef, renderRefDiff, type RefPlanDiff } from '../../review/refDiff';
import { isScalar, isSecret, maskSecrets, SECRET_TEXT } from '../../review/values';
import { UsageError, UserError } from '../errors';
import type { CommandContext } from '../output';

export interface PlanCommandOptions extends CommandContext {
  stack: string;
  /** Print the plan as one JSON document instead of a tree. */
  json?: boolean;
}

/** Plans the stack and prints it. Invalid configuration throws a UserError; nothing is registered. */
export async function plan(opts: PlanCommandOptions): Promise<Plan> {
  const result = await planStack(opts.stack, { root: opts.cwd });
  if (!result.ok) throw new UserError(result.errors);
  // Secrets (marked by the program or from `secure:` config) print as [secret], in JSON too.
  if (opts.json) opts.output.out(JSON.stringify(maskSecrets(result.plan), null, 2));
  else opts.output.out(renderPlan(result.plan).join('\n'));
  return result.plan;
}

export interface PlanDiffOptions extends CommandContext {
  /** Git ref to compare the working tree with (branch, tag, commit). */
  base: string;
  /** Only this stack (default: every stack file on either side). */
  stack?: string;
  json?: boolean;
}

/**
 * Diffs the working tree's plans against `base`'s. Prints the diff; a stack the working tree cannot
 * plan (invalid stack file, program error) fails the command after the report.
 */
export async function planDiff(opts: PlanDiffOptions): Promise<RefPlanDiff> {
  const result = await diffAgainstRef({ cwd: opts.cwd, base: opts.base, ...(opts.stack ? { stacks: [opts.stack] } : {}) });
  if (opts.json) opts.output.out(JSON.stringify(maskSecrets(result), null, 2));
  else opts.output.out(renderRefDiff(result).join('\n'));
  const broken = result.stacks.flatMap((s) => (s.errors ?? []).filter((e) => e.side === 'working tree').flatMap((e) => e.lines));
  if (broken.length > 0) throw new UserError(broken);
  return result;
}

export function registerPlan(program: Command, ctx: CommandContext): void {
  program
    .command('plan')
    .description('show the resources a stack would have, computed offline from its stack file (or, with --diff, what changed since a git ref)')
    .option('-s, --stack <name>', 'stack to plan (stacks/Pulumi.<name>.yaml); required without --diff')
    .option('--diff <base-ref>', 'compare every stack (or --stack) between this git ref and the working tree: resources added, removed, changed')
    .option('--json', 'print one JSON document: {stack, resources: [{urn, type, name, parent, inputs}], outputs}; with --diff {base, commit, stacks}')
    .action(async (flags: { stack?: string; diff?: string; json?: boolean }) => {
      const json = flags.json === true;
      if (flags.diff !== undefined) {
        await planDiff({ ...ctx, base: flags.diff, ...(flags.stack ? { stack: flags.stack } : {}), json });
        return;
      }
      // Commander's own wording, kept: --stack is required unless --diff is given.
      if (!flags.stack) throw new UsageError("error: required option '-s, --stack <name>' not specified (or --diff BASE_REF)");
      await plan({ ...ctx, stack: flags.stack, json });
    });
}

const INDENT = '  ';
/** Inputs every resource carries that say nothing about this one. */
const NOISY_INPUTS = new Set(['tags', 'tagsAll', 'labels']);
const MAX_INPUTS = 6;
const MAX_VALUE = 60;

/** The human form: resources as a tree by parent, each with its key inputs, then the outputs. */
export function renderPlan(plan: Plan): string[] {
  const lines = [`Plan for stack ${plan.stack}: ${plan.resources.length} resources`, ''];
  const known = new Set(plan.resources.map((r) => r.urn));
  const children = new Map<string | undefined, PlannedResource[]>();
  for (const r of plan.resources) {
    // A parent outside the plan would hide its children; show them at the top instead.
    const parent = r.parent !== undefined && known.has(r.parent) ? r.parent : undefined;
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const visit = (r: PlannedResource, depth: number) => {
    const inputs = keyInputs(r.inputs);
    const action = actionText(r.inputs.defaultActions);
    // ignoreChanges: a slot deployed with another app configuration keeps these as its state has them.
    const kept = r.ignoreChanges ? `  (keeps ${r.ignoreChanges.join(', ')} as deployed)` : '';
    lines.push(`${INDENT.repeat(depth)}${r.type}  ${r.name}${inputs ? `  ${inputs}` : ''}${action ? `  → ${action}` : ''}${kept}`);
    for (const c of children.get(r.urn) ?? []) visit(c, depth + 1);
  };
  for (const r of children.get(undefined) ?? []) visit(r, 0);

  const outputs = Object.entries(plan.outputs);
  if (outputs.length > 0) {
    lines.push('', 'Outputs:');
    const width = Math.max(...outputs.map(([k]) => k.length));
    for (const [k, v] of outputs) lines.push(`${INDENT}${k.padEnd(width)}  ${isSecret(v) ? SECRET_TEXT : typeof v === 'string' && v !== '' ? v : JSON.stringify(maskSecrets(v))}`);
  }
  lines.push(
    '',
    'Values shown as <computed:RESOURCE.PROPERTY> are assigned by the cloud (or Docker) when RESOURCE is',
    'created; the offline plan cannot know them and never invents them.',
  );
  return lines;
}

/** Up to MAX_INPUTS scalar inputs as `key=value`, placeholders marked as they are, secrets as [secret]. */
export function keyInputs(inputs: Record<string, unknown>): string {
  return Object.entries(inputs)
    .filter(([k, v]) => !NOISY_INPUTS.has(k) && !k.startsWith('__') && (isScalar(v) || isSecret(v)))
    .slice(0, MAX_INPUTS)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(' ');
}

function formatValue(v: unknown): string {
  if (isSecret(v)) return SECRET_TEXT;
  const text = typeof v === 'string' ? v : JSON.stringify(v) ?? '';
  // A placeholder is never cut (it names what AWS assigns), but a JSON document holding some is.
  if (text.length <= MAX_VALUE || (isComputed(text) && !/^[[{]/.test(text))) return text;
  return `${text.slice(0, MAX_VALUE - 1)}…`;
}

/**
 * A load balancer listener's default actions in words, for the tree: where its traffic goes
 * (`forward shop-lb-blue 100%, shop-lb-green 0%`) or that it only redirects (`redirect to HTTPS:443 (301)`).
 */
export function actionText(actions: unknown): string | undefined {
  if (!Array.isArray(actions) || actions.length === 0) return undefined;
  return actions.map((a: Record<string, any>) => {
    if (a?.type === 'redirect') {
      const r = a.redirect ?? {};
      return `redirect to ${r.protocol ?? '#{protocol}'}:${r.port ?? '#{port}'} (${String(r.statusCode ?? '').replace(/^HTTP_/, '')})`;
    }
    if (a?.type === 'forward' && Array.isArray(a.forward?.targetGroups)) {
      return `forward ${a.forward.targetGroups.map((g: Record<string, unknown>) => `${targetLabel(g.arn)} ${String(g.weight ?? 1)}%`).join(', ')}`;
    }
    if (a?.type === 'forward') return `forward ${targetLabel(a.targetGroupArn)}`;
    return String(a?.type ?? 'unknown action');
  }).join('; ');
}

/** A target group by name: the resource in a placeholder, or the name in its ARN. */
function targetLabel(arn: unknown): string {
  if (isSecret(arn)) return SECRET_TEXT;
  const text = String(arn);
  return /^<computed:(.+)\.arn>$/.exec(text)?.[1] ?? /:targetgroup\/([^/]+)\//.exec(text)?.[1] ?? text;
}
