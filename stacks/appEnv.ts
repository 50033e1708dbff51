// The application's configuration per environment: plain variables (`slipway:app.env`) and secret ones
// (`slipway:app.secrets` names them; each value is the Pulumi secret `slipway:secret.<NAME>`). Schema
// parts for stacks/schema.ts, the checks on the secret values validate.ts runs, and the configuration
// id a slot's release records. Pure; no value of a secret is ever put into a message.
import { createHash, scryptSync } from 'node:crypto';
import { z } from 'zod';
import { show } from './show';
import { canonicalJson } from './canonical';

/** What an environment variable name may be (POSIX portable, upper case). */
export const ENV_NAME_RE = /^[A-Z_][A-Z0-9_]*$/;
export const ENV_NAME_MAX = 64;
/** Names Slipway sets in every slot itself. */
export const RESERVED_ENV_NAMES = ['APP_VERSION', 'PORT', 'SLOT'] as const;

/** Bounds. A task definition holds at most 64 KiB and one Secrets Manager secret (a slot's) 64 KiB. */
export const ENV_COUNT_MAX = 50;
export const SECRET_COUNT_MAX = 20;
export const VALUE_MAX = 4096;
export const ENV_TOTAL_MAX = 16384;
export const SECRET_TOTAL_MAX = 32768;

/** `slipway:secret.<NAME>`: a flat key (set without `--path`), one per name. */
export const SECRET_KEY_PREFIX = 'secret.';
export const secretKey = (name: string) => `slipway:${SECRET_KEY_PREFIX}${name}`;

/** Whether a `slipway:` key name (without the namespace) belongs to the secret values. */
export function isSecretEntry(name: string): boolean {
  return name === 'secret' || name.startsWith(SECRET_KEY_PREFIX);
}

const NAME_RULE = `[A-Z_][A-Z0-9_]*, at most ${ENV_NAME_MAX} characters`;

/** Why `name` cannot name an app variable, or undefined when it can. */
export function envNameProblem(name: string): string | undefined {
  if (!ENV_NAME_RE.test(name) || name.length > ENV_NAME_MAX) return `${show(name)} is not an environment variable name (${NAME_RULE})`;
  if ((RESERVED_ENV_NAMES as readonly string[]).includes(name)) return `${name} is set by Slipway itself (${RESERVED_ENV_NAMES.join(', ')})`;
  return undefined;
}

export const appEnvSchema = z
  .record(
    z.string(),
    z.string({ error: (i) => notAString(i.input) }),
    { error: (i) => `${show(i.input)} is not a mapping of variable names to values` },
  )
  .default({})
  .check(
    z.superRefine((env, ctx) => {
      const names = Object.keys(env);
      if (names.length > ENV_COUNT_MAX) ctx.addIssue({ code: 'custom', message: `${names.length} variables, over the limit of ${ENV_COUNT_MAX}`, input: env });
      let total = 0;
      for (const name of names) {
        const problem = envNameProblem(name);
        if (problem) ctx.addIssue({ code: 'custom', path: [name], message: problem, input: name });
        const value = env[name]!;
        total += value.length;
        if (value.length > VALUE_MAX) ctx.addIssue({ code: 'custom', path: [name], message: `${value.length} characters, over the limit of ${VALUE_MAX} for a value`, input: value });
      }
      if (total > ENV_TOTAL_MAX) ctx.addIssue({ code: 'custom', message: `values total ${total} characters, over the limit of ${ENV_TOTAL_MAX}`, input: env });
    }),
  )
  .describe(
    'Plain environment variables of the app, the same in both slots (a knob: may differ between stacks). A change reaches production as a new release: idle slot, smoke tests, switch.',
  );

const secretName = z.string({ error: (i) => `${show(i.input)} is not a variable name (a string)` }).check(
  z.superRefine((name, ctx) => {
    const problem = envNameProblem(name);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: name });
  }),
);

export const appSecretsSchema = z
  .array(secretName, { error: (i) => `${show(i.input)} is not a list of variable names` })
  .default([])
  .check(
    z.superRefine((names, ctx) => {
      if (names.length > SECRET_COUNT_MAX) ctx.addIssue({ code: 'custom', message: `${names.length} names, over the limit of ${SECRET_COUNT_MAX}`, input: names });
      names.forEach((name, i) => {
        if (names.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: [i], message: `${name} is listed twice`, input: name });
      });
    }),
  )
  .describe(
    'Names of the secret environment variables; each value is the encrypted stack value `slipway:secret.<NAME>` (`pulumi config set --secret slipway:secret.NAME --stack S`). Same rules for a change as `env`.',
  );

function notAString(v: unknown): string {
  if (v === null) return 'empty, expected a string (write "" for an empty value)';
  if (typeof v === 'number' || typeof v === 'boolean') return `${show(v)} is not a string; quote it: "${String(v)}"`;
  return `${show(v)} is not a string`;
}

/** For the app mapping: a name is plain or secret, not both. */
export function envSecretClash(app: { env: Record<string, string>; secrets: string[] }, ctx: z.core.$RefinementCtx<unknown>): void {
  app.secrets.forEach((name, i) => {
    if (Object.hasOwn(app.env, name)) {
      ctx.addIssue({ code: 'custom', path: ['secrets', i], message: `${name} is also in slipway:app.env; a variable is either plain or secret`, input: name });
    }
  });
}

export interface SecretCheckOptions {
  stack: string;
  /** Values as the engine hands them over (decrypted) rather than as a stack file holds them. */
  decrypted: boolean;
}

/**
 * Problems with the `slipway:secret…` entries of a stack: a listed name without a value (naming the
 * command that sets one), a value nothing lists, a value left in plain text in a stack file, values
 * nested by `--path`, and the bounds. Keys are full config keys; no message holds a value.
 */
export function secretValueProblems(entries: Record<string, unknown>, listed: readonly string[], opts: SecretCheckOptions): { key: string; message: string }[] {
  const out: { key: string; message: string }[] = [];
  const set = (name: string) => `\`pulumi config set --secret ${secretKey(name)} --stack ${opts.stack}\``;
  const rm = (key: string) => `\`pulumi config rm ${key} --stack ${opts.stack}\``;
  let total = 0;
  for (const [entry, value] of Object.entries(entries)) {
    const key = `slipway:${entry}`;
    if (entry === 'secret') {
      out.push({ key, message: `values nested under slipway:secret (set with --path); remove them (${rm(key)}) and set each as the flat key slipway:secret.NAME, without --path` });
      continue;
    }
    const name = entry.slice(SECRET_KEY_PREFIX.length);
    const nameProblem = envNameProblem(name);
    if (nameProblem) {
      out.push({ key: clipKey(key), message: `${nameProblem}; remove it: ${rm(clipKey(key))}` });
    } else if (!listed.includes(name)) {
      out.push({ key, message: `not listed in slipway:app.secrets, so nothing would use it; list ${name} there, or remove it: ${rm(key)}` });
    } else if (typeof value === 'string' && !opts.decrypted) {
      out.push({ key, message: `in plain text in the stack file; remove it (${rm(key)}) and set it encrypted: ${set(name)}` });
    } else if (typeof value === 'string') {
      total += value.length;
      if (value.length === 0) out.push({ key, message: `empty; set a value: ${set(name)}` });
      else if (value.length > VALUE_MAX) out.push({ key, message: `longer than ${VALUE_MAX} characters, the limit for a value` });
    } else if (!isEncrypted(value)) {
      out.push({ key, message: `not an encrypted value ({secure: …}); set it with ${set(name)}` });
    }
  }
  for (const name of listed) {
    if (!Object.hasOwn(entries, `${SECRET_KEY_PREFIX}${name}`)) {
      out.push({ key: secretKey(name), message: `missing: slipway:app.secrets lists ${name}; set it with ${set(name)} (it asks for the value)` });
    }
  }
  if (total > SECRET_TOTAL_MAX) out.push({ key: 'slipway:app.secrets', message: `the secret values total more than ${SECRET_TOTAL_MAX} characters, the limit` });
  return out;
}

function isEncrypted(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as { secure?: unknown }).secure === 'string' && Object.keys(v).length === 1;
}

function clipKey(key: string): string {
  return key.length > 80 ? `${key.slice(0, 79)}…` : key;
}

/** The list `slipway:app.secrets` holds in a raw (unvalidated) app mapping, valid names only. */
export function listedSecrets(app: unknown): string[] {
  const list = typeof app === 'object' && app !== null ? (app as { secrets?: unknown }).secrets : undefined;
  return Array.isArray(list) ? [...new Set(list.filter((n): n is string => typeof n === 'string' && envNameProblem(n) === undefined))] : [];
}

/** A secret value as hashed: the plaintext the engine hands over, or the ciphertext of a stack file. */
export function secretText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (isEncrypted(v)) return `secure:${(v as { secure: string }).secure}`;
  return JSON.stringify(v) ?? '';
}

/**
 * The id of one configuration of the app: 16 hex characters over the plain variables, the secret names
 * and a slow, salted derivation (scrypt) of the secret values — an id recorded in the stack file is
 * no quick test of a guessed secret. What a slot's release records as `config`.
 */
export function appConfigId(app: string, env: Readonly<Record<string, string>>, secrets: Readonly<Record<string, string>>): string {
  const key = canonicalJson({ app, env, secrets });
  const known = configIds.get(key);
  if (known) return known;
  const names = Object.keys(secrets).sort();
  const sealed = names.length === 0 ? '' : scryptSync(canonicalJson(secrets), `slipway-app-config:${app}`, 32, { N: 2 ** 14, r: 8, p: 1 }).toString('hex');
  const id = createHash('sha256').update(canonicalJson({ env, secrets: names, sealed })).digest('hex').slice(0, 16);
  if (configIds.size >= 64) configIds.clear();
  configIds.set(key, id);
  return id;
}

// The scrypt takes some 30 ms, and one deployment asks for the same id several times (each read of the
// stack's configuration, the inline program): computed once per process and configuration.
const configIds = new Map<string, string>();

/** The configuration with no variables: what a release without a recorded `config` ran. */
export const EMPTY_CONFIG_ID = appConfigId('', {}, {});

export const CONFIG_ID_RE = /^[0-9a-f]{16}$/;

/** The id a slot's release was deployed with (a release from before ids were recorded ran none). */
export function recordedConfig(release: { config?: string | undefined }): string {
  return release.config ?? EMPTY_CONFIG_ID;
}

/** The secret values of the listed names from raw config (`slipway:secret.NAME` → value). */
export function secretValuesOf(raw: Record<string, unknown>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.filter((n) => raw[secretKey(n)] !== undefined).map((n) => [n, secretText(raw[secretKey(n)])]));
}
