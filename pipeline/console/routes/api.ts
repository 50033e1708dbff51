// Every state-changing route of the console (docs/console.md lists them; a test holds the list to the
// routes registered here). Each one checks, in order: a signed-in user (401), the Origin and the CSRF
// token (403), the request's fields (400, naming the field), who may do it (403), and the state of
// what it acts on (404, 409). Then it queues a job: the same `slipway` command a person would type,
// with the signed-in user as its actor, so the ledger names who did what.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { idleSlotOf } from '../../../components/slots';
import { rollbackTargetProblem } from '../../ledger/derive';
import { parseImageRef } from '../../release/build';
import { approverProblem } from '../../release/deploy';
import { findUser, mayDeploy } from '../config';
import { checkWrite, fieldsOf, setSession } from '../guard';
import { badRequest, conflict, forbidden, notFound, unauthorized } from '../httpError';
import { approveBody, deployBody, deploymentParams, emptyBody, jobParams, parseInput, rejectBody, signInBody, stackParams } from '../input';
import type { Job } from '../jobs/job';
import type { JobRequest } from '../jobs/manager';
import { verifyPassword } from '../password';
import { wantsHtml, type ConsoleContext } from '../server';
import { newSession } from '../session';
import { signInPage } from '../views/forms';
import { accepted, stackOverview, viewerOf } from './common';

export function registerApi(app: FastifyInstance, ctx: ConsoleContext): void {
  const { config, secret, jobs } = ctx;
  const write = (request: FastifyRequest) => checkWrite(request, config, secret)!;

  /** Queues `request`, unless the same job is queued or running already (a double click). */
  const enqueue = async (request: JobRequest, same: (j: Job) => boolean) => {
    const existing = jobs.active(request.stack).find((j) => j.kind === request.kind && same(j));
    return existing ? { job: existing, existing: true } : { job: await jobs.enqueue(request), existing: false };
  };
  const mustDeploy = (user: string, stack: string) => {
    if (!mayDeploy(config, stack, user)) throw forbidden(`${user} may not deploy to or roll back ${stack} (console configuration: deployers.${stack})`);
  };

  app.post('/api/signin', { config: { rateLimit: { max: ctx.signInPerMinute, timeWindow: 60_000 } } }, async (request, reply) => {
    checkWrite(request, config, secret, { anonymous: true });
    const body = parseInput(signInBody, fieldsOf(request.body), 'body');
    const user = findUser(config, body.name);
    if (!(await verifyPassword(body.password, user?.passwordHash)) || !user) {
      if (!wantsHtml(request)) throw unauthorized('name or password is wrong');
      return reply.code(401).type('text/html; charset=utf-8').send(signInPage(viewerOf(request), body.next, config.proxy?.header, 'Name or password is wrong.'));
    }
    // A new session id on sign-in: whatever id a visitor had before is worthless after.
    ctx.signedOut.add(request.auth.session);
    setSession(request, reply, config, secret, newSession(ctx.now(), user.name));
    if (wantsHtml(request)) return reply.redirect(body.next ?? '/', 303);
    return reply.send({ user: user.name, csrf: request.auth.csrf });
  });

  app.post('/api/signout', async (request, reply) => {
    write(request);
    parseInput(emptyBody, fieldsOf(request.body), 'body');
    ctx.signedOut.add(request.auth.session);
    setSession(request, reply, config, secret, newSession(ctx.now()));
    return wantsHtml(request) ? reply.redirect('/signin', 303) : reply.send({ signedOut: true });
  });

  app.post('/api/deployments', async (request, reply) => {
    const user = write(request).name;
    const body = parseInput(deployBody, fieldsOf(request.body), 'body');
    const o = await stackOverview(ctx, body.stack);
    mustDeploy(user, body.stack);
    if (!o.config) throw conflict(`stack: ${o.error ?? 'the stack file is not valid'}`);
    const ref = parseImageRef(body.artifact);
    const known = body.version ? undefined : (await ctx.artifacts.list()).artifacts.find((a) => a.ref === body.artifact);
    const version = body.version ?? known?.version ?? ref.tag;
    if (!version) throw badRequest('version: missing (the artifact reference has no tag to take it from)');
    const artifact = { ref: body.artifact, version, digest: ref.digest };
    const r = await enqueue({ kind: 'deploy', stack: body.stack, requestedBy: user, artifact }, (j) => j.artifact?.ref === artifact.ref);
    return accepted(request, reply, r.job, r.existing);
  });

  /** The deployment a route names, from its stack's ledger (404 when there is none). */
  const deploymentOf = async (p: { stack: string; id: string }) => {
    const o = await stackOverview(ctx, p.stack);
    const d = o.ledger.byId.get(p.id);
    if (!d) throw notFound(`id: no deployment ${p.id} in the ledger of ${p.stack}`);
    return { ...p, o, d };
  };

  for (const kind of ['approve', 'reject'] as const) {
    app.post(`/api/deployments/:stack/:id/${kind}`, async (request, reply) => {
      const user = write(request).name;
      const params = parseInput(deploymentParams, request.params, 'params');
      const note = kind === 'approve' ? parseInput(approveBody, fieldsOf(request.body), 'body').comment : parseInput(rejectBody, fieldsOf(request.body), 'body').reason;
      const { stack, id, o, d } = await deploymentOf(params);
      const refused = approverProblem(o.approvers, stack, user);
      if (refused) throw forbidden(refused);
      if (d.status !== 'awaiting-approval') throw conflict(`id: deployment ${id} is ${d.status}, not awaiting approval`);
      const artifact = { ref: d.artifact, version: d.version, digest: d.digest };
      const r = await enqueue({ kind, stack, requestedBy: user, deployment: id, artifact, ...(note ? { comment: note } : {}) }, (j) => j.deployment === id);
      return accepted(request, reply, r.job, r.existing);
    });
  }

  app.post('/api/deployments/:stack/:id/resume', async (request, reply) => {
    const user = write(request).name;
    const params = parseInput(deploymentParams, request.params, 'params');
    parseInput(emptyBody, fieldsOf(request.body), 'body');
    const { stack, id, o, d } = await deploymentOf(params);
    mustDeploy(user, stack);
    const queued = jobs.active(stack).find((j) => j.deployment === id || j.resumes === id);
    if (queued) return accepted(request, reply, queued, true);
    if (o.interrupted?.id !== id) throw conflict(`id: deployment ${id} is ${o.lock?.deploymentId === id ? 'running' : d.status}, not interrupted; only an interrupted deployment resumes`);
    const artifact = { ref: d.artifact, version: d.version, digest: d.digest };
    const r = await enqueue({ kind: 'deploy', stack, requestedBy: user, artifact, resumes: id, deployment: id }, (j) => j.resumes === id);
    return accepted(request, reply, r.job, r.existing);
  });

  app.post('/api/stacks/:stack/rollback', async (request, reply) => {
    const user = write(request).name;
    const { stack } = parseInput(stackParams, request.params, 'params');
    parseInput(emptyBody, fieldsOf(request.body), 'body');
    const o = await stackOverview(ctx, stack);
    mustDeploy(user, stack);
    if (!o.slots || !o.live) throw conflict(`stack: ${o.error ?? 'the stack file is not valid'}`);
    const to = idleSlotOf(o.live);
    if (!o.slots[to].version) throw conflict(`stack: slot ${to} of ${stack} has no release to roll back to`);
    // What the pipeline would refuse, refused here before a job is queued.
    const never = o.slots[to].digest ? rollbackTargetProblem(o.ledger.deployments, to, o.slots[to].digest) : undefined;
    if (never) throw conflict(`stack: ${never}`);
    const r = await enqueue({ kind: 'rollback', stack, requestedBy: user }, () => true);
    return accepted(request, reply, r.job, r.existing);
  });

  app.post('/api/jobs/:job/cancel', async (request, reply) => {
    const user = write(request).name;
    const { job: id } = parseInput(jobParams, request.params, 'params');
    parseInput(emptyBody, fieldsOf(request.body), 'body');
    const job = jobs.get(id);
    if (!job) throw notFound(`job: no job ${id}`);
    if (job.requestedBy !== user && !mayDeploy(config, job.stack, user)) throw forbidden(`${user} may not cancel ${job.requestedBy}'s job on ${job.stack}`);
    if (job.status !== 'queued') throw conflict(`job: ${id} is ${job.status}; only a queued job can be cancelled`);
    await jobs.cancel(job, user);
    return wantsHtml(request) ? reply.redirect(`/jobs/${id}`, 303) : reply.send({ job });
  });

}
