// Scaling of the live slot (AWS), as optional fields of slipway:capacity: how few and how many tasks it
// may run, and the one metric Application Auto Scaling tracks. The idle slot stays at desiredCount.
import type { z } from 'zod';
import { int } from './fields';
import { show } from './show';

/** At most this many tasks per slot (ECS allows more per service; a bound keeps a typo from costing). */
export const SCALING_MAX_TASKS = 1000;

export const scalingFields = {
  min: int(1, SCALING_MAX_TASKS)
    .optional()
    .describe('Fewest tasks the live slot scales in to (at most `desiredCount`); default `desiredCount`.'),
  max: int(1, SCALING_MAX_TASKS)
    .optional()
    .describe('Most tasks the live slot scales out to (at least `desiredCount`); required with `cpuPercent` or `requestsPerTarget`.'),
  cpuPercent: int(1, 100)
    .optional()
    .describe('Scale the live slot to keep its average CPU at this percentage (target tracking). Give this or `requestsPerTarget`, or neither for a fixed `desiredCount`.'),
  requestsPerTarget: int(1, 1_000_000)
    .optional()
    .describe('Scale the live slot to keep this many requests per task per minute (the load balancer\'s RequestCountPerTarget for the slot\'s own target group). Give this or `cpuPercent`.'),
};

export interface ScalingFields {
  desiredCount: number;
  min?: number | undefined;
  max?: number | undefined;
  cpuPercent?: number | undefined;
  requestsPerTarget?: number | undefined;
}

/** The capacity's scaling fields against each other and against desiredCount, one issue per problem. */
export function scalingProblems(c: ScalingFields, ctx: z.core.$RefinementCtx<unknown>): void {
  const issue = (path: keyof ScalingFields, message: string, input: unknown) => ctx.addIssue({ code: 'custom', path: [path], message, input });
  const target = c.cpuPercent !== undefined ? 'cpuPercent' : c.requestsPerTarget !== undefined ? 'requestsPerTarget' : undefined;
  if (c.cpuPercent !== undefined && c.requestsPerTarget !== undefined) {
    issue('requestsPerTarget', 'give one scaling target, cpuPercent or requestsPerTarget, not both', c.requestsPerTarget);
  }
  if (target === undefined) {
    for (const bound of ['min', 'max'] as const) {
      if (c[bound] !== undefined) issue(bound, `${show(c[bound])} is set without a scaling target: give cpuPercent or requestsPerTarget too (or drop ${bound})`, c[bound]);
    }
    return;
  }
  if (c.max === undefined) issue('max', `missing; scaling on ${target} needs max, the most tasks the live slot may run`, undefined);
  // Comparisons only between numbers: a field of the wrong type has its own message already.
  if (typeof c.desiredCount !== 'number') return;
  if (typeof c.max === 'number' && c.max < c.desiredCount) issue('max', `${c.max} is below desiredCount (${c.desiredCount})`, c.max);
  if (typeof c.min === 'number' && c.min > c.desiredCount) {
    issue('min', `${c.min} is above desiredCount (${c.desiredCount}); a slot starts at desiredCount, so min may not exceed it`, c.min);
  }
}
