// Mail over real SMTP: an smtp-server on 127.0.0.1 receives what the notifier sends. Failures — a
// refused recipient, a wrong password, nothing listening, a server that never greets, TLS that cannot
// be had — come back through onError, never as an exception, and never with the password.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentNotice } from '../../pipeline/console/events';
import { createNotifier, MAIL_TIMEOUTS, parseNotifications, type NotificationsInput } from '../../pipeline/console/notify';
import { transportOptions } from '../../pipeline/console/notify/mail';
import { startMailbox, type Mailbox } from '../support/mailbox';
import { freePort } from '../support/ports';
import { DIGEST, emailOf, notice } from './fixtures';

const PASSWORD = 'Pw-7c1f0e9a-smtp';
const HOOK_KEY = 'hk-3b5d7f9e1a2c4e6f8091';
const ENV = { SLIPWAY_SMTP_PASSWORD: PASSWORD, SLIPWAY_HOOK_KEY: HOOK_KEY };
const SECRETS = [PASSWORD, HOOK_KEY, Buffer.from(PASSWORD).toString('base64'), Buffer.from(`\0slipway\0${PASSWORD}`).toString('base64')];

let box: Mailbox;
beforeAll(async () => {
  box = await startMailbox({ users: { slipway: PASSWORD }, refuse: ['gone@example.com'] });
});
afterAll(() => box.close());

function smtpAt(port: number, more: Record<string, unknown> = {}): NotificationsInput {
  return { smtp: { host: '127.0.0.1', port, from: 'Slipway <slipway@example.com>', user: 'slipway', passwordEnv: 'SLIPWAY_SMTP_PASSWORD', ...more } };
}

/** Sends `n` with a notifier for `input`; resolves to the onError lines (notify must not throw). */
async function send(input: NotificationsInput, n: DeploymentNotice, opts: { env?: Record<string, string>; emails?: (u: string) => string | undefined; fast?: boolean } = {}) {
  const parsed = parseNotifications(input);
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'));
  const errors: string[] = [];
  const notifier = createNotifier(parsed.config, {
    env: opts.env ?? ENV,
    emailOf: opts.emails ?? emailOf,
    onError: (line) => errors.push(line),
    appOf: (stack) => (stack === 'staging' ? 'shop' : undefined),
    ...(opts.fast ? { mailTimeouts: { connectionMs: 1000, greetingMs: 200, socketMs: 5000, totalMs: 5000 } } : {}),
  });
  await expect(notifier.notify(n)).resolves.toBeUndefined();
  return errors;
}

function mailsTo(address: string) {
  return box.mails.filter((m) => m.to.includes(address));
}

describe('mail through a real SMTP server', () => {
  it('tells the requester the environment is ready: recipient, subject, body, login; no secret anywhere', async () => {
    const before = box.mails.length;
    const errors = await send(smtpAt(box.port), notice({ deployment: 'd-ready-1' }));
    expect(errors).toEqual([]);
    const mails = box.mails.slice(before);
    expect(mails).toHaveLength(1);
    const m = mails[0]!;
    expect(m.from).toBe('slipway@example.com');
    expect(m.to).toEqual(['alice@example.com']);
    expect(m.user).toBe('slipway');
    expect(m.subject).toBe('shop 1.4.0 is ready on staging');
    expect(m.headers.from).toBe('Slipway <slipway@example.com>');
    expect(m.headers['auto-submitted']).toBe('auto-generated');
    expect(m.text).toContain('shop 1.4.0 is ready on staging: the deployment finished');
    for (const part of [m.text, m.html]) {
      for (const fact of ['1.4.0', DIGEST, 'staging', 'd-ready-1', 'https://shop-staging.example.com', 'https://console.example.com/deployments/d-20261201-130448-75b1']) {
        expect(part).toContain(fact);
      }
    }
    for (const secret of [...SECRETS, 'SLIPWAY_SMTP_PASSWORD']) expect(m.raw).not.toContain(secret);
  });

  it('tells the requester of a failure, with the reason', async () => {
    const errors = await send(smtpAt(box.port), notice({ kind: 'failed', deployment: 'd-failed-1', reason: 'smoke check /healthz answered 503' }));
    expect(errors).toEqual([]);
    const m = box.mails.find((x) => x.text.includes('d-failed-1'))!;
    expect(m.subject).toBe('shop 1.4.0 failed on staging');
    expect(m.text).toMatch(/^Reason: +smoke check \/healthz answered 503$/m);
  });

  it('at the gate, tells the requester and each approver in a mail of their own', async () => {
    const before = box.mails.length;
    const errors = await send(smtpAt(box.port), notice({ kind: 'awaiting-approval', deployment: 'd-gate-1', approvers: ['bob', 'carol'] }));
    expect(errors).toEqual([]);
    const mails = box.mails.slice(before);
    expect(mails.map((m) => [m.to, m.subject]).sort()).toEqual([
      [['alice@example.com'], 'shop 1.4.0 is waiting for approval on staging'],
      [['bob@example.com'], 'shop 1.4.0 on staging is waiting for your approval'],
      [['carol@example.com'], 'shop 1.4.0 on staging is waiting for your approval'],
    ]);
    const bob = mails.find((m) => m.to[0] === 'bob@example.com')!;
    expect(bob.headers.to).toBe('bob@example.com');
    expect(bob.text).toContain('Approve or reject it in the console: https://console.example.com/deployments/');
  });

  it('escapes a <script> in a reason in the HTML part that arrives', async () => {
    await send(smtpAt(box.port), notice({ kind: 'failed', deployment: 'd-script-1', reason: '<script>alert(1)</script>' }));
    const m = box.mails.find((x) => x.text.includes('d-script-1'))!;
    expect(m.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(m.html).not.toContain('<script');
  });

  it('a refused recipient is one line; the others still get theirs', async () => {
    const emails = (u: string) => (u === 'carol' ? 'gone@example.com' : emailOf(u));
    const errors = await send(smtpAt(box.port), notice({ kind: 'awaiting-approval', deployment: 'd-refused-1', approvers: ['bob', 'carol'] }), { emails });
    expect(errors).toEqual([
      `notification awaiting-approval of d-refused-1: mail to gone@example.com via 127.0.0.1:${box.port}: recipient or sender refused (server said: 550 No such user here)`,
    ]);
    expect(mailsTo('bob@example.com').some((m) => m.text.includes('d-refused-1'))).toBe(true);
  });

  it('a user without an address is reported', async () => {
    const errors = await send(smtpAt(box.port), notice({ deployment: 'd-nobody-1', requester: 'zed' }));
    expect(errors).toEqual(['notification ready of d-nobody-1: no e-mail address for the requester "zed"; not told']);
  });
});

describe('mail that cannot be sent: onError, no exception, no password', () => {
  it('a wrong password', async () => {
    const wrong = 'Wrong-9d2e-password';
    const errors = await send(smtpAt(box.port), notice({ deployment: 'd-auth-1' }), { env: { SLIPWAY_SMTP_PASSWORD: wrong } });
    expect(errors).toEqual([
      `notification ready of d-auth-1: mail to alice@example.com via 127.0.0.1:${box.port}: login as "slipway" refused (server said: 535 Invalid username or password)`,
    ]);
    expect(errors.join('\n')).not.toContain(wrong);
    expect(errors.join('\n')).not.toContain(Buffer.from(wrong).toString('base64'));
  });

  it('nothing listening', async () => {
    const port = await freePort();
    const errors = await send(smtpAt(port), notice({ deployment: 'd-dead-1' }), { fast: true });
    expect(errors).toEqual([`notification ready of d-dead-1: mail to alice@example.com via 127.0.0.1:${port}: connection refused`]);
  });

  describe('a server that accepts connections and never greets', () => {
    let silent: Server;
    const sockets = new Set<Socket>();
    beforeAll(async () => {
      silent = createServer((s) => {
        sockets.add(s);
        s.on('error', () => {});
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });

    it('gives up at the greeting timeout', async () => {
      const port = (silent.address() as { port: number }).port;
      const started = Date.now();
      const errors = await send(smtpAt(port), notice({ deployment: 'd-silent-1' }), { fast: true });
      expect(errors).toEqual([`notification ready of d-silent-1: mail to alice@example.com via 127.0.0.1:${port}: the server sent no greeting within 200 ms`]);
      expect(Date.now() - started).toBeLessThan(3000);
    });
  });

  it('starttls against a server that does not offer it: nothing is sent in plain text', async () => {
    const [before, loginsBefore] = [box.mails.length, box.logins.length];
    const errors = await send(smtpAt(box.port, { starttls: true }), notice({ deployment: 'd-starttls-1' }), { fast: true });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^notification ready of d-starttls-1: mail to alice@example\\.com via 127\\.0\\.0\\.1:${box.port}: TLS failed: `));
    expect(box.mails.length).toBe(before);
    expect(box.logins.length).toBe(loginsBefore);
  });

  it('secure against a plain server', async () => {
    const errors = await send(smtpAt(box.port, { secure: true }), notice({ deployment: 'd-secure-1' }), { fast: true });
    expect(errors).toEqual([
      `notification ready of d-secure-1: mail to alice@example.com via 127.0.0.1:${box.port}: TLS failed (ERR_SSL_WRONG_VERSION_NUMBER): is the port one for TLS from the first byte (secure: true)?`,
    ]);
  });
});

describe('transport options', () => {
  const parsed = parseNotifications(smtpAt(587, { host: 'smtp.example.com', starttls: true }));
  if (!parsed.ok || !parsed.config.smtp) throw new Error('fixture');
  const smtp = parsed.config.smtp;

  it('bound every wait and keep nodemailer from logging', () => {
    const o = transportOptions(smtp, 'pw', MAIL_TIMEOUTS);
    expect(o).toMatchObject({ connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000, dnsTimeout: 10_000, logger: false, debug: false });
  });

  it('starttls requires the upgrade; secure starts in TLS; neither leaves nodemailer to upgrade when offered', () => {
    expect(transportOptions(smtp, 'pw', MAIL_TIMEOUTS)).toMatchObject({ secure: false, requireTLS: true, auth: { user: 'slipway', pass: 'pw' } });
    expect(transportOptions({ ...smtp, starttls: false, secure: true }, 'pw', MAIL_TIMEOUTS)).toMatchObject({ secure: true, requireTLS: false });
    const relay = transportOptions({ ...smtp, starttls: false, user: undefined, passwordEnv: undefined }, undefined, MAIL_TIMEOUTS);
    expect(relay).toMatchObject({ secure: false, requireTLS: false });
    expect(relay.auth).toBeUndefined();
    expect(relay.ignoreTLS).toBeUndefined();
  });
});
