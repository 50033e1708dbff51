// Sessions: a signed cookie holding a random session id, the signed-in user and an expiry — nothing
// secret, and nothing kept server-side but the ids signed out before they expire. The CSRF token is
// an HMAC of the session id, so it needs no storage either and dies with the session. A visitor who
// is not signed in gets an anonymous session too: the sign-in form is CSRF-protected like every other.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { UserError } from '../cli/errors';

export const SESSION_COOKIE = 'slipway_session';
/** How long a session lasts, ms. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** The env var holding the key that signs sessions; when unset, each console process makes its own. */
export const SECRET_ENV = 'SLIPWAY_CONSOLE_SECRET';

export interface Session {
  sid: string;
  /** Signed-in user name; absent for a visitor who has not signed in. */
  user?: string;
  /** Expiry, ms since the epoch. */
  exp: number;
}

export function newSession(now: number, user?: string): Session {
  return { sid: randomBytes(18).toString('base64url'), ...(user ? { user } : {}), exp: now + SESSION_TTL_MS };
}

export function encodeSession(s: Session): string {
  return Buffer.from(JSON.stringify(s)).toString('base64url');
}

/** The session a (signature-checked) cookie value holds, or undefined when malformed or expired. */
export function decodeSession(value: string, now: number): Session | undefined {
  try {
    const v = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Partial<Session>;
    if (typeof v.sid !== 'string' || !/^[\w-]{16,64}$/.test(v.sid) || typeof v.exp !== 'number' || v.exp <= now) return undefined;
    if (v.user !== undefined && typeof v.user !== 'string') return undefined;
    return { sid: v.sid, exp: v.exp, ...(v.user ? { user: v.user } : {}) };
  } catch {
    return undefined;
  }
}

export function csrfToken(secret: string, sid: string): string {
  return createHmac('sha256', secret).update(`csrf:${sid}`).digest('base64url');
}

export function csrfMatches(secret: string, sid: string, token: unknown): boolean {
  if (typeof token !== 'string' || token.length > 100) return false;
  const want = Buffer.from(csrfToken(secret, sid));
  const got = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** The signing key: `$SLIPWAY_CONSOLE_SECRET` (32 characters or more), else a random one for this process. */
export function sessionSecret(env: Readonly<Record<string, string | undefined>>): { secret: string; generated: boolean } {
  const given = env[SECRET_ENV];
  if (given !== undefined && given !== '') {
    if (given.length < 32) throw new UserError(`${SECRET_ENV}: must be at least 32 characters (e.g. \`openssl rand -base64 32\`)`);
    return { secret: given, generated: false };
  }
  return { secret: randomBytes(32).toString('base64url'), generated: true };
}

/** Session ids signed out before they expire; forgotten once they would have expired anyway. */
export class SignedOut {
  private readonly ids = new Map<string, number>();

  add(s: Session): void {
    this.ids.set(s.sid, s.exp);
  }

  has(sid: string, now: number): boolean {
    for (const [id, exp] of this.ids) if (exp <= now) this.ids.delete(id);
    return this.ids.has(sid);
  }
}
