// The console's one configuration file (default `console.yaml`): who may sign in, who may deploy to
// which stack, and optionally a trusted proxy that signs people in for it. Approvers are not here:
// they come from each stack file (`slipway:promotion.approvers`). Every problem is one line naming
// the file and the key: `console.yaml: users[1].passwordHash: not a scrypt hash (…)`.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { relative, resolve } from 'node:path';
import { z } from 'zod';
import { listStacks, parseYaml } from '../../stacks/load';
import { show } from '../../stacks/show';
import { stackNameProblem } from '../../stacks/validate';
import { UserError } from '../cli/errors';
import { EMAIL_ADDRESS, keyPath, parseNotifications, type NotificationsConfig } from './notify/config';
import { isPasswordHash } from './password';

/** Anyone signed in, in a `deployers` list. */
export const EVERYONE = '*';

/** A user name as approvers lists and the ledger's `actor` carry it. */
const USER_NAME_RE = /^[A-Za-z0-9][\w.@+-]{0,63}$/;
const HEADER_RE = /^[A-Za-z0-9-]{1,64}$/;
const CONFIG_MAX_BYTES = 1024 * 1024;

const text = (what: string) => z.string({ error: (i) => `${show(i.input)} is not ${what}` });

const userName = text('a user name').regex(USER_NAME_RE, { error: (i) => `${show(i.input)} is not a user name (1-64 of letters, digits, _ . @ + -, starting with a letter or digit)` });

const user = z.strictObject({
  name: userName,
  email: text('an e-mail address').regex(EMAIL_ADDRESS, { error: (i) => `${show(i.input)} is not an e-mail address (user@example.com)` }),
  passwordHash: text('a password hash')
    .refine(isPasswordHash, { error: 'not a scrypt hash (make one with `slipway console hash-password`, which reads the password from stdin)' })
    .optional(),
});

const stackKey = z.string().superRefine((s, ctx) => {
  const problem = stackNameProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const consoleConfigSchema = z.strictObject({
  publicUrl: text('a URL')
    .pipe(z.url({ protocol: /^https?$/, error: (i) => `${show(i.input)} is not an http(s) URL` }))
    .optional()
    .describe('The address people reach the console at, e.g. https://deploy.example.com; links in notifications use it.'),
  users: z.array(user, { error: 'must be a list of users ({name, email, passwordHash})' }).min(1, { error: 'must list at least one user' }),
  deployers: z
    .record(stackKey, z.array(z.union([z.literal(EVERYONE), userName]), { error: 'must be a list of user names (or "*")' }))
    .default({})
    .describe('Per stack, who may deploy, resume and roll back: user names, or "*" for everyone signed in.'),
  proxy: z
    .strictObject({
      header: text('a header name').regex(HEADER_RE, { error: (i) => `${show(i.input)} is not a header name` }).default('X-Forwarded-User'),
      addresses: z
        .array(text('an IP address').refine((a) => isIP(a) !== 0, { error: (i) => `${show(i.input)} is not an IP address` }))
        .min(1, { error: 'must list the proxy addresses the header is accepted from' }),
    })
    .optional()
    .describe('A reverse proxy that authenticates people and names them in `header`; accepted only from `addresses`.'),
  notifications: z.unknown().optional().describe('Mail and webhooks: checked by the notifications module (notify/config.ts).'),
});

export type ConsoleUser = z.output<typeof user>;
export type ConsoleConfig = z.output<typeof consoleConfigSchema>;

/** `['users', 1, 'email']` → `users[1].email`. */
function keyOf(path: readonly PropertyKey[]): string {
  return keyPath('', path) || '(top level)';
}

/** Validates a parsed console configuration; problems are lines `LABEL: key: message`. */
export type ConsoleConfigValidation = { ok: true; config: ConsoleConfig; notifications: NotificationsConfig } | { ok: false; errors: string[] };

export function validateConsoleConfig(value: unknown, label: string, stacks: readonly string[]): ConsoleConfigValidation {
  const parsed = consoleConfigSchema.safeParse(value ?? {}, { reportInput: true });
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => {
        if (i.code === 'unrecognized_keys') return `${label}: ${keyOf([...i.path, i.keys[0] ?? '?'])}: unknown key (allowed: ${allowedAt(i.path)})`;
        if (i.code === 'invalid_type' && i.input === undefined) return `${label}: ${keyOf(i.path)}: missing (required)`;
        return `${label}: ${keyOf(i.path)}: ${i.message}`;
      }),
    };
  }
  const config = parsed.data;
  const errors: string[] = [];
  const names = new Set<string>();
  config.users.forEach((u, i) => {
    if (names.has(u.name)) errors.push(`${label}: users[${i}].name: ${show(u.name)} is listed twice`);
    names.add(u.name);
  });
  for (const [stack, list] of Object.entries(config.deployers)) {
    if (!stacks.includes(stack)) errors.push(`${label}: deployers.${stack}: no stack file stacks/Pulumi.${stack}.yaml (stacks: ${stacks.join(', ') || 'none'})`);
    list.forEach((n, i) => {
      if (n !== EVERYONE && !names.has(n)) errors.push(`${label}: deployers.${stack}[${i}]: ${show(n)} is not a user of this file`);
    });
  }
  const notifications = parseNotifications(config.notifications, `${label}: notifications`);
  if (!notifications.ok) errors.push(...notifications.errors);
  return errors.length > 0 || !notifications.ok ? { ok: false, errors } : { ok: true, config, notifications: notifications.config };
}

function allowedAt(path: readonly PropertyKey[]): string {
  if (path.length === 0) return Object.keys(consoleConfigSchema.shape).join(', ');
  if (path[0] === 'users') return 'name, email, passwordHash';
  if (path[0] === 'proxy') return 'header, addresses';
  return '?';
}

/** Reads and validates the console configuration file; throws a UserError with every problem. */
export function loadConsoleConfig(file: string, cwd: string): { config: ConsoleConfig; notifications: NotificationsConfig } {
  const abs = resolve(cwd, file);
  const label = relative(cwd, abs) || file;
  if (!existsSync(abs)) throw new UserError(`${label}: no such file (the console's users and deployers; see "Console" in README.md, or pass --config FILE)`);
  if (statSync(abs).size > CONFIG_MAX_BYTES) throw new UserError(`${label}: over the 1 MiB limit for the console configuration`);
  const parsed = parseYaml(readFileSync(abs, 'utf8'));
  if (typeof parsed === 'string') throw new UserError(`${label}: ${parsed}`);
  const v = validateConsoleConfig(parsed.value, label, listStacks(cwd));
  if (!v.ok) throw new UserError(v.errors);
  return { config: v.config, notifications: v.notifications };
}

/** The configured user called `name`, or with that e-mail address (what proxies often send). */
export function findUser(config: ConsoleConfig, nameOrEmail: string): ConsoleUser | undefined {
  const lower = nameOrEmail.toLowerCase();
  return config.users.find((u) => u.name === nameOrEmail) ?? config.users.find((u) => u.email.toLowerCase() === lower);
}

/** Whether `user` may deploy to, resume on, and roll back `stack`. */
export function mayDeploy(config: ConsoleConfig, stack: string, user: string): boolean {
  const list = config.deployers[stack] ?? [];
  return list.includes(EVERYONE) || list.includes(user);
}
