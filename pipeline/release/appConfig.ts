// The stack's configuration as the pipeline reads it through the engine, and the id of the app's
// configuration (env and secret values) a slot is deployed with. The engine hands secret values over
// decrypted (`pulumi config --show-secrets`): they are hashed here (stacks/appEnv.ts) and go nowhere else.
import { appConfigId, recordedConfig, secretValuesOf } from '../../stacks/appEnv';
import type { SlipwayConfig, SlotRelease } from '../../stacks/schema';
import { validateStackConfig } from '../../stacks/validate';
import type { StackHandle } from '../engine/port';
import { UserError } from '../cli/errors';
import type { Artifact } from './deploy';

export { recordedConfig };

export interface LoadedStack {
  config: SlipwayConfig;
  /** Id of the current app configuration: what the slot being deployed records as `config`. */
  appConfig: string;
}

/** Reads and validates the stack's configuration as the engine sees it, secrets decrypted. */
export async function loadStackConfig(handle: StackHandle): Promise<LoadedStack> {
  const raw = await handle.getConfig();
  const v = validateStackConfig(raw, { stack: handle.name, file: `stacks/Pulumi.${handle.name}.yaml`, decrypted: true });
  if (!v.ok) throw new UserError(v.errors);
  const { app } = v.config;
  return { config: v.config, appConfig: appConfigId(app.name, app.env, secretValuesOf(raw, app.secrets)) };
}

/** A slot's release for `artifact` with the app configuration `appConfig` (a release with none records none). */
export function slotRelease(artifact: Artifact, appConfig: string): SlotRelease {
  const release: SlotRelease = { image: artifact.ref, version: artifact.version };
  if (appConfig !== recordedConfig(release)) release.config = appConfig;
  return release;
}

/** Whether a slot already holds `artifact` deployed with the app configuration `appConfig`. */
export function holds(release: SlotRelease, artifact: Artifact, appConfig: string): boolean {
  return release.image === artifact.ref && recordedConfig(release) === appConfig;
}
