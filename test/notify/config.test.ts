// The `notifications` section: what it accepts, and the one line per problem it gives otherwise —
// naming the key, and never repeating what may be a secret.
import { describe, expect, it } from 'vitest';
import { createNotifier, parseNotifications, type NotificationsConfig } from '../../pipeline/console/notify';
import { UserError } from '../../pipeline/cli/errors';

const SMTP = { host: 'smtp.example.com', port: 587, starttls: true, from: 'Slipway <slipway@example.com>', user: 'slipway', passwordEnv: 'SLIPWAY_SMTP_PASSWORD' };
const HOOK = { url: 'https://hooks.example.com/slipway', secretEnv: 'SLIPWAY_HOOK_KEY' };

function errorsOf(raw: unknown): string[] {
  const r = parseNotifications(raw);
  if (r.ok) throw new Error(`accepted: ${JSON.stringify(raw)}`);
  return r.errors;
}

function configOf(raw: unknown): NotificationsConfig {
  const r = parseNotifications(raw);
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.config;
}

describe('notifications config: accepted', () => {
  it('takes SMTP and webhooks, with defaults filled in', () => {
    const c = configOf({ smtp: SMTP, webhooks: [HOOK, { ...HOOK, events: ['failed'] }] });
    expect(c.smtp).toEqual({ ...SMTP, secure: false });
    expect(c.webhooks).toEqual([HOOK, { ...HOOK, events: ['failed'] }]);
  });

  it('takes an empty or missing section: nothing is sent', () => {
    expect(configOf({})).toEqual({ webhooks: [] });
    expect(configOf(null)).toEqual({ webhooks: [] });
    expect(configOf(undefined)).toEqual({ webhooks: [] });
  });

  it('takes a relay without login, and a password over plain SMTP only on loopback', () => {
    expect(configOf({ smtp: { host: 'relay.internal', port: 25, from: 'slipway@example.com' } }).smtp?.starttls).toBe(false);
    expect(configOf({ smtp: { ...SMTP, host: '127.0.0.1', starttls: false } }).smtp?.host).toBe('127.0.0.1');
    expect(configOf({ smtp: { ...SMTP, host: 'mail.example.com', port: 465, starttls: false, secure: true } }).smtp?.secure).toBe(true);
  });
});

describe('notifications config: refused, one line naming the key', () => {
  const cases: [string, unknown, string[]][] = [
    ['not a mapping', 'yes', ['notifications: "yes" is a string, expected a mapping (keys: smtp, webhooks)']],
    ['unknown top-level key', { mail: {} }, ['notifications: unknown key "mail" (allowed: smtp, webhooks)']],
    ['smtp missing its keys', { smtp: {} }, ['notifications.smtp.host: missing (required)', 'notifications.smtp.port: missing (required)', 'notifications.smtp.from: missing (required)']],
    ['port out of range', { smtp: { ...SMTP, port: 70000 } }, ['notifications.smtp.port: 70000 is not a port number (1 to 65535)']],
    ['port as a string', { smtp: { ...SMTP, port: '587' } }, ['notifications.smtp.port: "587" is a string, expected a port number from 1 to 65535']],
    ['host with a scheme', { smtp: { ...SMTP, host: 'smtp://mail.example.com' } }, ['notifications.smtp.host: "smtp://mail.example.com" is not a host name or IP address (no scheme, no port: e.g. smtp.example.com)']],
    ['from not an address', { smtp: { ...SMTP, from: 'slipway' } }, ['notifications.smtp.from: "slipway" is not an e-mail address (user@example.com or Name <user@example.com>)']],
    ['from with a header break', { smtp: { ...SMTP, from: 'a@example.com\r\nBcc: x@example.com' } }, ['notifications.smtp.from: "a@example.com\\r\\nBcc: x@example.com" is not an e-mail address (user@example.com or Name <user@example.com>)']],
    [
      'secure and starttls together',
      { smtp: { ...SMTP, secure: true } },
      ['notifications.smtp.starttls: secure and starttls exclude each other: secure is TLS from the first byte (port 465), starttls upgrades a plain connection (port 587)'],
    ],
    ['secure not a boolean', { smtp: { ...SMTP, starttls: 'yes' } }, ['notifications.smtp.starttls: "yes" is a string, expected true or false']],
    ['user without passwordEnv', { smtp: { ...SMTP, passwordEnv: undefined } }, ['notifications.smtp.passwordEnv: missing: user is set, so name the environment variable holding its password']],
    ['passwordEnv without user', { smtp: { ...SMTP, user: undefined } }, ['notifications.smtp.user: missing: passwordEnv is set, so give the user it logs in as']],
    [
      'a password over plain SMTP to another host',
      { smtp: { ...SMTP, starttls: false } },
      ['notifications.smtp.passwordEnv: a password is only sent over TLS: set secure: true (port 465) or starttls: true (port 587) for "smtp.example.com"'],
    ],
    [
      'a password in the file',
      { smtp: { ...SMTP, password: 'hunter2' } },
      ['notifications.smtp: "password" is not allowed: a secret never goes in this file; put it in an environment variable and name that variable in passwordEnv'],
    ],
    ['webhooks not a list', { webhooks: HOOK }, ['notifications.webhooks: {"url":"https://hooks.example.com/slipway","secretEnv":"SLIPWAY_HOOK_KEY"} is a mapping, expected a list of webhooks ({url, secretEnv, events?})']],
    ['webhook without url', { webhooks: [{ secretEnv: 'K' }] }, ['notifications.webhooks[0].url: missing (required)']],
    ['webhook ftp url', { webhooks: [{ ...HOOK, url: 'ftp://files.example.com/x' }] }, ['notifications.webhooks[0].url: "ftp:" is not allowed: http or https only']],
    ['webhook javascript url', { webhooks: [{ ...HOOK, url: 'javascript:alert(1)' }] }, ['notifications.webhooks[0].url: "javascript:" is not allowed: http or https only']],
    ['webhook relative url', { webhooks: [{ ...HOOK, url: '/hooks/slipway' }] }, ['notifications.webhooks[0].url: not an absolute URL (http://… or https://…)']],
    [
      'webhook url with credentials',
      { webhooks: [{ ...HOOK, url: 'https://me:pw@hooks.example.com/x' }] },
      ['notifications.webhooks[0].url: must not hold a user name or password (user:pass@…); receivers check the signature instead'],
    ],
    ['webhook without secretEnv', { webhooks: [{ url: HOOK.url }] }, ['notifications.webhooks[0].secretEnv: missing (required)']],
    [
      'a secret in the file',
      { webhooks: [{ ...HOOK, secret: 'abc' }] },
      ['notifications.webhooks[0]: "secret" is not allowed: a secret never goes in this file; put it in an environment variable and name that variable in secretEnv'],
    ],
    ['unknown event', { webhooks: [{ ...HOOK, events: ['ready', 'deployed'] }] }, ['notifications.webhooks[0].events[1]: "deployed" is not a notification kind (ready, failed, awaiting-approval)']],
    ['no events', { webhooks: [{ ...HOOK, events: [] }] }, ['notifications.webhooks[0].events: must name at least one of ready, failed, awaiting-approval (leave events out for all of them)']],
    ['an event twice', { webhooks: [{ ...HOOK, events: ['failed', 'failed'] }] }, ['notifications.webhooks[0].events: names a kind twice']],
    ['too many webhooks', { webhooks: Array.from({ length: 21 }, () => HOOK) }, ['notifications.webhooks: has more than 20 webhooks']],
  ];
  for (const [name, raw, expected] of cases) {
    it(name, () => expect(errorsOf(raw)).toEqual(expected));
  }

  it('never repeats a secret pasted where the variable name goes', () => {
    const secret = 'wh-9f8e7d6c5b4a3210-secret value';
    const lines = [...errorsOf({ webhooks: [{ ...HOOK, secretEnv: secret }] }), ...errorsOf({ smtp: { ...SMTP, passwordEnv: secret } })];
    expect(lines).toEqual([
      'notifications.webhooks[0].secretEnv: not an environment variable name (letters, digits and _, not starting with a digit, at most 128); secretEnv names the variable that holds the secret, never the secret itself',
      'notifications.smtp.passwordEnv: not an environment variable name (letters, digits and _, not starting with a digit, at most 128); passwordEnv names the variable that holds the secret, never the secret itself',
    ]);
    expect(lines.join('\n')).not.toContain('9f8e7d6c');
  });

  it('never repeats a webhook URL whose path may hold a token', () => {
    const lines = errorsOf({ webhooks: [{ ...HOOK, url: 'gopher://hooks.example.com/T0K3N-abc' }] });
    expect(lines.join('\n')).not.toContain('T0K3N');
  });

  it('uses the prefix it is given for the section', () => {
    const r = parseNotifications({ smtp: { ...SMTP, port: 0 } }, 'console.yaml: notifications');
    expect(r).toEqual({ ok: false, errors: ['console.yaml: notifications.smtp.port: 0 is not a port number (1 to 65535)'] });
  });
});

describe('createNotifier: secrets come from the environment, or it does not start', () => {
  const deps = { emailOf: () => undefined, onError: () => {} };

  it('names every missing variable, and a key too short, in one UserError', () => {
    const config = configOf({ smtp: SMTP, webhooks: [HOOK, { ...HOOK, secretEnv: 'SHORT_KEY' }] });
    let error: unknown;
    try {
      createNotifier(config, { ...deps, env: { SHORT_KEY: 'abc123' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).problems).toEqual([
      'notifications.smtp.passwordEnv: the environment variable SLIPWAY_SMTP_PASSWORD is not set',
      'notifications.webhooks[0].secretEnv: the environment variable SLIPWAY_HOOK_KEY is not set',
      'notifications.webhooks[1].secretEnv: the key in SHORT_KEY is shorter than 16 characters (make one with: openssl rand -hex 32)',
    ]);
    expect((error as UserError).message).not.toContain('abc123');
  });

  it('starts when every variable is set', () => {
    const config = configOf({ smtp: SMTP, webhooks: [HOOK] });
    const n = createNotifier(config, { ...deps, env: { SLIPWAY_SMTP_PASSWORD: 'pw', SLIPWAY_HOOK_KEY: 'k'.repeat(32) } });
    expect(typeof n.notify).toBe('function');
  });
});
