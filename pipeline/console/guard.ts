// Who is asking, and whether they may change anything. Every request carries a session (a signed,
// HttpOnly, SameSite=Strict cookie; an anonymous one until sign-in); the user comes from it or, when
// configured, from a trusted proxy's header — accepted only from the proxy's own addresses. Every
// state-changing request must come from the console's own origin (Origin header), carry the session's
// CSRF token (form field `_csrf` or header `X-CSRF-Token`) and, except sign-in, a signed-in user.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie'; // its request and reply methods' types
import { findUser, type ConsoleConfig, type ConsoleUser } from './config';
import { forbidden, unauthorized } from './httpError';
import { csrfMatches, csrfToken, decodeSession, encodeSession, newSession, SESSION_COOKIE, SESSION_TTL_MS, type Session, type SignedOut } from './session';

export interface Auth {
  session: Session;
  user?: ConsoleUser;
  /** The CSRF token of this session, for the page's forms. */
  csrf: string;
  /** Why the proxy's header was not accepted (names the header). */
  proxyProblem?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: Auth;
  }
}

export interface GuardOptions {
  config: ConsoleConfig;
  secret: string;
  signedOut: SignedOut;
  now: () => number;
}

/** Whether cookies must be Secure: served over HTTPS, or behind the trusted proxy (which terminates TLS). */
function secureCookies(request: FastifyRequest, config: ConsoleConfig): boolean {
  return request.protocol === 'https' || config.proxy !== undefined || (config.publicUrl?.startsWith('https:') ?? false);
}

export function setSession(request: FastifyRequest, reply: FastifyReply, config: ConsoleConfig, secret: string, session: Session): void {
  reply.setCookie(SESSION_COOKIE, encodeSession(session), {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: secureCookies(request, config),
    signed: true,
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
  request.auth = { ...request.auth, session, csrf: csrfToken(secret, session.sid) };
}

/** Reads the session (or starts an anonymous one) and the user, for every request. */
export function registerGuard(app: FastifyInstance, opts: GuardOptions): void {
  const { config, secret } = opts;
  app.decorateRequest('auth', null as unknown as Auth);
  app.addHook('onRequest', async (request, reply) => {
    const now = opts.now();
    const raw = request.cookies[SESSION_COOKIE];
    const unsigned = raw ? request.unsignCookie(raw) : undefined;
    let session = unsigned?.valid && unsigned.value ? decodeSession(unsigned.value, now) : undefined;
    if (session && opts.signedOut.has(session.sid, now)) session = undefined;
    const fresh = !session;
    session ??= newSession(now);
    request.auth = { session, csrf: csrfToken(secret, session.sid) };

    const proxy = config.proxy;
    const header = proxy ? request.headers[proxy.header.toLowerCase()] : undefined;
    if (proxy && typeof header === 'string' && proxy.addresses.includes(request.socket.remoteAddress ?? '')) {
      const user = findUser(config, header.trim());
      if (user) {
        request.auth.user = user;
        if (session.user !== user.name) {
          setSession(request, reply, config, secret, { ...newSession(now, user.name) });
          return;
        }
      } else request.auth.proxyProblem = `${proxy.header}: ${JSON.stringify(header.slice(0, 80))} is not a user of the console's configuration`;
    } else if (session.user) {
      const user = findUser(config, session.user);
      if (user && user.name === session.user) request.auth.user = user;
    }
    if (fresh) setSession(request, reply, config, secret, session);
  });
}

/** The signed-in user, or 401 (403 when a trusted proxy named someone unknown). */
export function requireUser(request: FastifyRequest): ConsoleUser {
  if (request.auth.user) return request.auth.user;
  if (request.auth.proxyProblem) throw forbidden(request.auth.proxyProblem);
  throw unauthorized('sign in first (POST /api/signin, or the form at /signin)');
}

/** The console's own origin: its configured public URL's, else the one this request was addressed to. */
export function ownOrigin(request: FastifyRequest, config: ConsoleConfig): string {
  return config.publicUrl ? new URL(config.publicUrl).origin : `${request.protocol}://${request.host}`;
}

/**
 * The checks of a state-changing request, in order: a signed-in user (401) unless `anonymous`, the
 * Origin (403), the CSRF token (403). Returns the user.
 */
export function checkWrite(request: FastifyRequest, config: ConsoleConfig, secret: string, opts: { anonymous?: boolean } = {}): ConsoleUser | undefined {
  const user = opts.anonymous ? undefined : requireUser(request);
  const origin = request.headers.origin;
  const own = ownOrigin(request, config);
  if (origin === undefined) throw forbidden(`Origin: missing; changes are accepted only from the console's own pages (${own})`);
  if (origin !== own) throw forbidden(`Origin: ${JSON.stringify(origin.slice(0, 100))} is not this console (${own})`);
  const body = request.body as Record<string, unknown> | undefined;
  const token = request.headers['x-csrf-token'] ?? (body && typeof body === 'object' ? body._csrf : undefined);
  if (token === undefined) throw forbidden('_csrf: missing (the form field, or the X-CSRF-Token header)');
  if (!csrfMatches(secret, request.auth.session.sid, token)) throw forbidden('_csrf: does not match this session (reload the page and try again)');
  return user;
}

/** The body without the CSRF field, for the route's own schema. */
export function fieldsOf(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const { _csrf: _ignored, ...rest } = body as Record<string, unknown>;
  return rest;
}
