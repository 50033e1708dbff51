// The `notifications` section of the console's configuration file: how to reach the SMTP server, and
// which webhooks to call. Secrets are never in the file: it names the environment variables that hold
// them (`passwordEnv`, `secretEnv`), and no message built here ever shows a value of those keys.
import { isIP } from 'node:net';
import { z } from 'zod';
import { wrongType } from '../../../stacks/fields';
import { show } from '../../../stacks/show';
import type { NotificationKind } from '../events';

export const NOTIFICATION_KINDS = ['ready', 'failed', 'awaiting-approval'] as const satisfies readonly NotificationKind[];

/** Most webhooks one console calls per notice. */
export const WEBHOOKS_MAX = 20;

/** Shortest HMAC key accepted from a webhook's `secretEnv` variable, in characters. */
export const WEBHOOK_SECRET_MIN = 16;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
/** `user@example.com`: no spaces, angle brackets or control characters; one `@`. */
export const EMAIL_ADDRESS = /^[^\s@<>",;\x00-\x1f\x7f]{1,64}@[A-Za-z0-9.-]{1,253}$/;
/** `Slipway <slipway@example.com>`: a display name of printable characters, then the address. */
const NAMED_ADDRESS = /^([^<>"\x00-\x1f\x7f]{1,64}) <([^<>]+)>$/;
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '::1']);

const missingOr = (what: string) => (i: { input: unknown }) => (i.input === undefined ? 'missing (required)' : wrongType(i.input, what));
const str = (what: string) => z.string({ error: missingOr(`${what} (a string)`) });
const bool = z.boolean({ error: (i) => wrongType(i.input, 'true or false') });

/** Unknown keys, named (their values are never shown: a misplaced key may hold a secret). */
function unknownKeys(allowed: readonly string[], secretKeys: Record<string, string>) {
  return (i: { code?: string; input?: unknown; keys?: string[] }) => {
    if (i.code !== 'unrecognized_keys') return i.input === undefined ? 'missing (required)' : wrongType(i.input, `a mapping (keys: ${allowed.join(', ')})`);
    const keys = i.keys ?? [];
    const secret = keys.find((k) => k in secretKeys);
    if (secret !== undefined) return `${show(secret)} is not allowed: a secret never goes in this file; put it in an environment variable and name that variable in ${secretKeys[secret]}`;
    const named = keys.map((k) => show(k)).join(', ');
    return `unknown key${keys.length > 1 ? 's' : ''} ${named} (allowed: ${allowed.join(', ')})`;
  };
}

// An environment variable's name. The message never repeats the value: someone who put the secret
// itself here must not find it printed in a log.
const envName = (key: string) =>
  str('an environment variable name').regex(ENV_NAME, {
    error: () => `not an environment variable name (letters, digits and _, not starting with a digit, at most 128); ${key} names the variable that holds the secret, never the secret itself`,
  });

const emailAddress = str('an e-mail address').check(
  z.superRefine((v, ctx) => {
    const named = NAMED_ADDRESS.exec(v);
    const address = named ? named[2]! : v;
    if (!EMAIL_ADDRESS.test(address)) {
      ctx.addIssue({ code: 'custom', input: v, message: `${show(v)} is not an e-mail address (user@example.com or Name <user@example.com>)` });
    }
  }),
);

const smtpKeys = ['host', 'port', 'secure', 'starttls', 'from', 'user', 'passwordEnv'] as const;

export const smtpSchema = z
  .strictObject(
    {
      /** SMTP server host name or IP address, e.g. `smtp.example.com`. */
      host: str('a host name').refine((v) => isIP(v) !== 0 || HOST_NAME.test(v), {
        error: (i) => `${show(i.input)} is not a host name or IP address (no scheme, no port: e.g. smtp.example.com)`,
      }),
      /** SMTP port: 465 with `secure`, 587 with `starttls`, 25 for a relay. */
      port: z
        .number({ error: missingOr('a port number from 1 to 65535') })
        .int({ error: (i) => `${show(i.input)} is not a whole number (1 to 65535)` })
        .min(1, { error: (i) => `${show(i.input)} is not a port number (1 to 65535)` })
        .max(65535, { error: (i) => `${show(i.input)} is not a port number (1 to 65535)` }),
      /** TLS from the first byte (usually port 465). Default false. */
      secure: bool.default(false),
      /** Plain connection upgraded with STARTTLS, which the server must offer (usually port 587). Default false. */
      starttls: bool.default(false),
      /** Sender: `slipway@example.com` or `Slipway <slipway@example.com>`. */
      from: emailAddress,
      /** SMTP login; needs `passwordEnv`. */
      user: str('a user name').min(1, { error: () => 'must not be empty' }).max(256, { error: () => 'is longer than 256 characters' }).optional(),
      /** Name of the environment variable holding the SMTP password, e.g. `SLIPWAY_SMTP_PASSWORD`. */
      passwordEnv: envName('passwordEnv').optional(),
    },
    { error: unknownKeys(smtpKeys, { password: 'passwordEnv', pass: 'passwordEnv' }) },
  )
  .check(
    z.superRefine((s, ctx) => {
      if (s.secure && s.starttls) {
        ctx.addIssue({
          code: 'custom',
          path: ['starttls'],
          input: s.starttls,
          message: 'secure and starttls exclude each other: secure is TLS from the first byte (port 465), starttls upgrades a plain connection (port 587)',
        });
      }
      if (s.user !== undefined && s.passwordEnv === undefined) {
        ctx.addIssue({ code: 'custom', path: ['passwordEnv'], input: undefined, message: 'missing: user is set, so name the environment variable holding its password' });
      }
      if (s.passwordEnv !== undefined && s.user === undefined) {
        ctx.addIssue({ code: 'custom', path: ['user'], input: undefined, message: 'missing: passwordEnv is set, so give the user it logs in as' });
      }
      if (s.passwordEnv !== undefined && !s.secure && !s.starttls && !LOOPBACK_HOSTS.has(s.host.toLowerCase())) {
        ctx.addIssue({
          code: 'custom',
          path: ['passwordEnv'],
          input: undefined,
          message: `a password is only sent over TLS: set secure: true (port 465) or starttls: true (port 587) for ${show(s.host)}`,
        });
      }
    }),
  );

const webhookKeys = ['url', 'secretEnv', 'events'] as const;

export const webhookSchema = z.strictObject(
  {
    /** Where to POST, `http://` or `https://`; no user name or password in it. */
    url: str('a URL').check(
      z.superRefine((v, ctx) => {
        // The URL is not repeated whole: some receivers put their own token in the path.
        const problem = urlProblem(v);
        if (problem) ctx.addIssue({ code: 'custom', input: undefined, message: problem });
      }),
    ),
    /** Name of the environment variable holding the HMAC key, e.g. `SLIPWAY_WEBHOOK_SECRET`. */
    secretEnv: envName('secretEnv'),
    /** Which notices to send. Default: all of them. */
    events: z
      .array(
        z.enum(NOTIFICATION_KINDS, { error: (i) => `${show(i.input)} is not a notification kind (${NOTIFICATION_KINDS.join(', ')})` }),
        { error: (i) => wrongType(i.input, `a list of notification kinds (${NOTIFICATION_KINDS.join(', ')})`) },
      )
      .min(1, { error: () => `must name at least one of ${NOTIFICATION_KINDS.join(', ')} (leave events out for all of them)` })
      .refine((e) => new Set(e).size === e.length, { error: () => 'names a kind twice' })
      .optional(),
  },
  { error: unknownKeys(webhookKeys, { secret: 'secretEnv', key: 'secretEnv', hmacKey: 'secretEnv' }) },
);

export const notificationsSchema = z.strictObject(
  {
    /** Mail to requesters and approvers; left out, no mail is sent. */
    smtp: smtpSchema.optional(),
    /** Signed JSON POSTs; default none. */
    webhooks: z
      .array(webhookSchema, { error: (i) => wrongType(i.input, 'a list of webhooks ({url, secretEnv, events?})') })
      .max(WEBHOOKS_MAX, { error: () => `has more than ${WEBHOOKS_MAX} webhooks` })
      .default([]),
  },
  { error: unknownKeys(['smtp', 'webhooks'], {}) },
);

/** The section as written in the file. */
export type NotificationsInput = z.input<typeof notificationsSchema>;
/** The section once parsed (defaults applied): what `createNotifier` takes. */
export type NotificationsConfig = z.output<typeof notificationsSchema>;
export type SmtpConfig = z.output<typeof smtpSchema>;
export type WebhookConfig = z.output<typeof webhookSchema>;

export type NotificationsParse = { ok: true; config: NotificationsConfig } | { ok: false; errors: string[] };

/**
 * Parses the `notifications` section; a missing or empty section (undefined, null) is one that sends
 * nothing. Each error is one line naming the key, e.g.
 * `notifications.smtp.port: 70000 is not a port number (1 to 65535)`; `prefix` is what comes before the
 * key path (`console.yaml: notifications` gives `console.yaml: notifications.smtp.port: …`).
 */
export function parseNotifications(raw: unknown, prefix = 'notifications'): NotificationsParse {
  const parsed = notificationsSchema.safeParse(raw ?? {});
  if (parsed.success) return { ok: true, config: parsed.data };
  return { ok: false, errors: issueLines(parsed.error.issues, prefix) };
}

/** One line per issue: `prefix.key.path: message`. */
export function issueLines(issues: readonly z.core.$ZodIssue[], prefix = 'notifications'): string[] {
  return issues.map((issue) => `${keyPath(prefix, issue.path)}: ${issue.message}`);
}

/** `('notifications', ['webhooks', 0, 'url'])` → `notifications.webhooks[0].url`. */
export function keyPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

/** Why `v` cannot be a webhook URL, or undefined when it can. Never repeats more than the scheme. */
export function urlProblem(v: string): string | undefined {
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return 'not an absolute URL (http://… or https://…)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `${show(url.protocol)} is not allowed: http or https only`;
  if (url.username !== '' || url.password !== '') return 'must not hold a user name or password (user:pass@…); receivers check the signature instead';
  if (url.hostname === '') return 'has no host';
  return undefined;
}

/** How a webhook is named in reports: its position and origin, never its path (which may hold a token). */
export function webhookLabel(index: number, url: string): string {
  let origin = '?';
  try {
    origin = new URL(url).origin;
  } catch {
    // a parsed config never gets here
  }
  return `webhooks[${index}] (${origin})`;
}
