// The app's configuration as the slots receive it, and which slot may receive a changed one. Both slots
// get the same values, but only a slot deployed with the current configuration (its release records the
// configuration's id) is handed a change: a slot whose recorded id differs keeps what it runs, through
// `ignoreChanges` on the properties that carry the values, until the pipeline deploys it again. So a
// new value goes idle slot → smoke tests → switch, and never changes the live slot in place.
import * as pulumi from '@pulumi/pulumi';
import { appConfigId, recordedConfig } from '../stacks/appEnv';
import type { SlipwayConfig, Slot } from '../stacks/schema';

export interface AppConfig {
  /** Id of this configuration (16 hex): what a slot's release records as `config`. */
  id: string;
  /** Plain variables. */
  env: Readonly<Record<string, string>>;
  /** Names of the secret variables, sorted. */
  secretNames: readonly string[];
  /** Their values, marked secret: they reach state encrypted and every output masked. */
  secrets: pulumi.Output<Record<string, string>>;
}

/**
 * The configuration of a validated stack with the secret values of this program run. Throws when a
 * listed secret has no value (validation refuses that first; this guards code that builds components).
 */
export function appConfigFor(config: SlipwayConfig, secretValues: Readonly<Record<string, string>> = {}): AppConfig {
  const secretNames = [...config.app.secrets].sort();
  const missing = secretNames.filter((n) => secretValues[n] === undefined);
  if (missing.length > 0) throw new Error(`slipway:app.secrets: no value for ${missing.join(', ')}`);
  const values = Object.fromEntries(secretNames.map((n) => [n, secretValues[n]!]));
  return { id: appConfigId(config.app.name, config.app.env, values), env: config.app.env, secretNames, secrets: pulumi.secret(values) };
}

/** Whether a slot runs a release deployed with another configuration: it keeps that one. */
export function keepsOwnConfig(config: SlipwayConfig, slot: Slot, current: AppConfig): boolean {
  const release = config.release[slot];
  return release.image !== undefined && recordedConfig(release) !== current.id;
}

/** `NAME=value` lines of the plain variables, sorted by name. */
export function envLines(env: Readonly<Record<string, string>>): string[] {
  return Object.keys(env)
    .sort()
    .map((n) => `${n}=${env[n]}`);
}
