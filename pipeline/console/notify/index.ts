// The console's notifier: mail to the people a deployment concerns, and signed webhooks, from the
// `notifications` section of the console's configuration file. The console builds it once at start:
//
//   const parsed = parseNotifications(file.notifications, 'console.yaml: notifications');
//   if (!parsed.ok) throw new UserError(parsed.errors);             // one line per key
//   const notifier = createNotifier(parsed.config, { env: process.env, emailOf, onError: log, appOf });
//
// createNotifier reads the secrets from `env` at once and throws a UserError naming every missing one,
// so a console without its secrets does not start. After that, `notify` never throws: every failed mail
// or webhook is one line to `onError`.
import { UserError } from '../../cli/errors';
import type { DeploymentNotice, Notifier } from '../events';
import { NOTIFICATION_KINDS, WEBHOOK_SECRET_MIN, keyPath, webhookLabel, type NotificationsConfig } from './config';
import { createMailSender, MAIL_TIMEOUTS, type MailSender, type MailTimeouts } from './mail';
import { mailsFor } from './messages';
import { postWebhook, type WebhookOptions, type WebhookTarget } from './webhook';

export {
  issueLines,
  NOTIFICATION_KINDS,
  notificationsSchema,
  parseNotifications,
  WEBHOOK_SECRET_MIN,
  WEBHOOKS_MAX,
  type NotificationsConfig,
  type NotificationsInput,
  type NotificationsParse,
  type SmtpConfig,
  type WebhookConfig,
} from './config';
export { MAIL_TIMEOUTS, type MailTimeouts } from './mail';
export { escapeHtml, mailsFor, type Mail } from './messages';
export { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, SIGNATURE_TOLERANCE_SECONDS, TIMESTAMP_HEADER, signature, webhookPayload, type WebhookPayload } from './webhook';

export interface NotifierDeps {
  /** Environment holding the SMTP password and the webhooks' keys: `process.env` in the console. */
  env: Readonly<Record<string, string | undefined>>;
  /** The console's user list: a user's e-mail address, or undefined when it has none. */
  emailOf: (user: string) => string | undefined;
  /** Gets one line per notification that could not be sent. Never given a secret. */
  onError: (line: string) => void;
  /** The application's name on a stack (`shop`), for subject lines; without it they read `version 1.4.0 …`. */
  appOf?: (stack: string) => string | undefined;
  /** Bounds of one mail. Default MAIL_TIMEOUTS (10 s to connect, 10 s to the greeting, 20 s idle, 60 s in all). */
  mailTimeouts?: MailTimeouts;
  /** Webhook timing and transport. Default: 5 s per attempt, the retry after 1 s, the global fetch, Date.now. */
  webhook?: WebhookOptions;
  /** Key path of the section in the console's file, for error lines. Default `notifications`. */
  prefix?: string;
}

/**
 * A Notifier for `config` (as parseNotifications returns it). Throws a UserError, one line per
 * problem, when an environment variable the config names is not set (or a webhook key is shorter than
 * WEBHOOK_SECRET_MIN); the lines name the variables, never their values.
 */
export function createNotifier(config: NotificationsConfig, deps: NotifierDeps): Notifier {
  const prefix = deps.prefix ?? 'notifications';
  const problems: string[] = [];
  const fromEnv = (name: string, key: readonly PropertyKey[], minLength = 1): string | undefined => {
    const value = deps.env[name];
    if (value === undefined || value === '') problems.push(`${keyPath(prefix, key)}: the environment variable ${name} is not set`);
    else if (value.length < minLength) {
      problems.push(`${keyPath(prefix, key)}: the key in ${name} is shorter than ${minLength} characters (make one with: openssl rand -hex 32)`);
    } else return value;
    return undefined;
  };

  const smtp = config.smtp;
  const password = smtp?.passwordEnv !== undefined ? fromEnv(smtp.passwordEnv, ['smtp', 'passwordEnv']) : undefined;
  const hooks = config.webhooks.map((hook, i) => ({
    events: new Set(hook.events ?? NOTIFICATION_KINDS),
    target: { label: webhookLabel(i, hook.url), url: hook.url, secret: fromEnv(hook.secretEnv, ['webhooks', i, 'secretEnv'], WEBHOOK_SECRET_MIN) ?? '' },
  }));
  if (problems.length > 0) throw new UserError(problems);

  const mailer = smtp ? createMailSender(smtp, password, deps.mailTimeouts ?? MAIL_TIMEOUTS) : undefined;
  return {
    notify: (notice) => notifyAll(notice, { mailer, hooks, deps }),
  };
}

interface Senders {
  mailer: MailSender | undefined;
  hooks: { events: ReadonlySet<string>; target: WebhookTarget }[];
  deps: NotifierDeps;
}

async function notifyAll(notice: DeploymentNotice, { mailer, hooks, deps }: Senders): Promise<void> {
  const about = `notification ${notice.kind} of ${notice.deployment}`;
  const report = (line: string) => {
    try {
      deps.onError(`${about}: ${line}`);
    } catch {
      // The reporter failing must not turn into a failed deployment either.
    }
  };
  try {
    const tasks: Promise<string | undefined>[] = [];
    if (mailer) {
      const { mails, problems } = mailsFor(notice, deps.emailOf, appName(deps, notice.stack));
      problems.forEach(report);
      tasks.push(...mails.map((m) => mailer.send(m)));
    }
    for (const hook of hooks) {
      if (hook.events.has(notice.kind)) tasks.push(postWebhook(hook.target, notice, deps.webhook));
    }
    const results = await Promise.allSettled(tasks);
    for (const r of results) {
      if (r.status === 'fulfilled' && r.value !== undefined) report(r.value);
      if (r.status === 'rejected') report(`internal error: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
    }
  } catch (e) {
    report(`internal error: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function appName(deps: NotifierDeps, stack: string): string | undefined {
  try {
    return deps.appOf?.(stack);
  } catch {
    return undefined;
  }
}
