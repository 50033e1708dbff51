// What the page and API routes share: who is looking, the stack a route names, and answering a
// request that started a job (a redirect for a browser's form, 202 and the job for JSON).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Viewer } from '../html';
import { forbidden, notFound, unauthorized } from '../httpError';
import type { Job } from '../jobs/job';
import type { ConsoleContext } from '../server';
import { wantsHtml } from '../server';
import type { StackOverview } from '../state';

export function viewerOf(request: FastifyRequest): Viewer {
  return { ...(request.auth.user ? { user: request.auth.user.name } : {}), csrf: request.auth.csrf };
}

/** A page's signed-in user; a browser without one is sent to the sign-in form, and comes back after. */
export function pageUser(request: FastifyRequest, reply: FastifyReply): string | undefined {
  if (request.auth.user) return request.auth.user.name;
  if (request.auth.proxyProblem) throw forbidden(request.auth.proxyProblem);
  if (!wantsHtml(request)) throw unauthorized();
  void reply.redirect(`/signin?next=${encodeURIComponent(request.url)}`, 303);
  return undefined;
}

export function sendPage(reply: FastifyReply, page: string): FastifyReply {
  return reply.type('text/html; charset=utf-8').send(page);
}

/** The overview of a stack that has a stack file, or 404 naming the field. */
export async function stackOverview(ctx: ConsoleContext, stack: string, field = 'stack'): Promise<StackOverview> {
  const stacks = ctx.state.stacks();
  if (!stacks.includes(stack)) throw notFound(`${field}: "${stack}" has no stack file stacks/Pulumi.${stack}.yaml (stacks: ${stacks.join(', ') || 'none'})`);
  return ctx.state.overview(stack);
}

/** Answers a request that queued a job (or found the same one queued already). */
export function accepted(request: FastifyRequest, reply: FastifyReply, job: Job, existing: boolean): FastifyReply {
  if (wantsHtml(request)) return reply.redirect(`/jobs/${job.id}`, 303);
  return reply.code(existing ? 200 : 202).send({ job, url: `/jobs/${job.id}`, existing });
}
