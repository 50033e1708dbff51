// The console's pages (GET only: nothing here changes anything) and its two static files.
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { parseImageRef } from '../../release/build';
import { mayDeploy } from '../config';
import { badRequest, forbidden, notFound } from '../httpError';
import { deployFormQuery, deploymentParams, jobParams, parseInput, reviewQuery, signInQuery, stackParams } from '../input';
import { releaseChange } from '../releasePlan';
import type { ConsoleContext } from '../server';
import { deploymentPage } from '../views/deployment';
import { deployFormPage, reviewPage } from '../views/deploy';
import { environmentsPage } from '../views/environments';
import { historyPage, rollbackPage, signInPage } from '../views/forms';
import { jobPage } from '../views/job';
import { pageUser, sendPage, stackOverview, viewerOf } from './common';

const STATIC: Record<string, { type: string; body: Buffer }> = Object.fromEntries(
  [
    ['console.js', 'text/javascript; charset=utf-8'],
    ['console.css', 'text/css; charset=utf-8'],
  ].map(([name, type]) => [name!, { type: type!, body: readFileSync(new URL(`../static/${name}`, import.meta.url)) }]),
);

/** How long the review page waits for a plan before it renders without it (and reloads), ms. */
const PLAN_WAIT_MS = 100;

/** How many recent jobs the environments page lists. */
const RECENT_JOBS = 10;

export function registerPages(app: FastifyInstance, ctx: ConsoleContext): void {
  const { state, jobs, config } = ctx;

  app.get('/static/:file', async (request, reply) => {
    const file = STATIC[(request.params as { file: string }).file];
    if (!file) throw notFound('no such file');
    return reply.type(file.type).header('Cache-Control', 'no-cache').send(file.body);
  });

  app.get('/healthz', async () => ({ ok: true }));

  app.get('/signin', async (request, reply) => {
    const { next } = parseInput(signInQuery, request.query, 'query');
    return sendPage(reply, signInPage(viewerOf(request), next, config.proxy?.header));
  });

  app.get('/', async (request, reply) => {
    const user = pageUser(request, reply);
    if (!user) return reply;
    const overviews = await state.overviews();
    return sendPage(reply, environmentsPage(viewerOf(request), overviews, (s) => jobs.active(s), (s) => mayDeploy(config, s, user), jobs.list().slice(0, RECENT_JOBS)));
  });

  app.get('/deploy', async (request, reply) => {
    const user = pageUser(request, reply);
    if (!user) return reply;
    const { stack } = parseInput(deployFormQuery, request.query, 'query');
    const overviews = await state.overviews();
    const { artifacts, problem } = await ctx.artifacts.list();
    const choices = overviews.filter((o) => !o.error).map((o) => ({ stack: o.stack, ...(o.target ? { target: o.target } : {}), mayDeploy: mayDeploy(config, o.stack, user) }));
    return sendPage(reply, deployFormPage(viewerOf(request), choices, artifacts, stack, problem));
  });

  app.get('/deploy/review', async (request, reply) => {
    const user = pageUser(request, reply);
    if (!user) return reply;
    const q = parseInput(reviewQuery, request.query, 'query');
    const overview = await stackOverview(ctx, q.stack);
    if (!mayDeploy(config, q.stack, user)) throw forbidden(`${user} may not deploy to ${q.stack} (console configuration: deployers.${q.stack})`);
    if (!overview.config) throw badRequest(`stack: ${overview.error ?? 'the stack file is not valid'}`);
    const known = (await ctx.artifacts.list()).artifacts.find((a) => a.ref === q.artifact);
    const ref = parseImageRef(q.artifact);
    const version = q.version ?? known?.version ?? ref.tag;
    if (!version) throw badRequest('version: missing (the artifact reference has no tag to take it from)');
    const artifact = { ref: q.artifact, version, digest: ref.digest };
    // A plan takes seconds the first time: the page does not wait for it, it reloads until it is there.
    const { slot } = releaseChange(overview.config, artifact);
    const plan = await Promise.race([ctx.planner.plan(q.stack, overview.config, artifact), delay(PLAN_WAIT_MS).then(() => undefined)]);
    const replaces = overview.config.release[slot].version ?? null;
    return sendPage(reply, reviewPage(viewerOf(request), { overview, artifact, plan, slot, replaces, ahead: jobs.active(q.stack).length }));
  });

  app.get('/stacks/:stack/history', async (request, reply) => {
    const user = pageUser(request, reply);
    if (!user) return reply;
    const { stack } = parseInput(stackParams, request.params, 'params');
    const o = await stackOverview(ctx, stack);
    return sendPage(reply, historyPage(viewerOf(request), stack, [...o.ledger.deployments].reverse(), o.ledger.live));
  });

  app.get('/stacks/:stack/rollback', async (request, reply) => {
    const user = pageUser(request, reply);
    if (!user) return reply;
    const { stack } = parseInput(stackParams, request.params, 'params');
    const o = await stackOverview(ctx, stack);
    if (!o.slots) throw badRequest(`stack: ${o.error ?? 'the stack file is not valid'}`);
    return sendPage(reply, rollbackPage(viewerOf(request), o));
  });

  app.get('/stacks/:stack/deployments/:id', async (request, reply) => {
    const user = pageUser(request, reply);
    if (!user) return reply;
    const { stack, id } = parseInput(deploymentParams, request.params, 'params');
    const o = await stackOverview(ctx, stack);
    const d = o.ledger.byId.get(id);
    if (!d) throw notFound(`id: no deployment ${id} in the ledger of ${stack}`);
    return sendPage(
      reply,
      deploymentPage(viewerOf(request), {
        stack,
        d,
        approvers: o.approvers,
        mayApprove: o.approvers.includes(user),
        mayResume: mayDeploy(config, stack, user),
        interrupted: o.interrupted?.id === id,
        jobs: jobs.list((j) => j.stack === stack && (j.deployment === id || j.resumes === id)),
      }),
    );
  });

  app.get('/jobs/:job', async (request, reply) => {
    const user = pageUser(request, reply);
    if (!user) return reply;
    const { job: id } = parseInput(jobParams, request.params, 'params');
    const job = jobs.get(id);
    if (!job) throw notFound(`job: no job ${id}`);
    const o = await state.overview(job.stack).catch(() => undefined);
    const lines = await jobs.lines(id);
    const may = mayDeploy(config, job.stack, user);
    return sendPage(
      reply,
      jobPage(viewerOf(request), job, lines, {
        mayCancel: may || job.requestedBy === user,
        mayResume: may && o?.interrupted?.id === job.deployment,
        appUrl: job.publicUrl ?? o?.urls.publicUrl ?? null,
      }),
    );
  });
}
