// The configuration the Pulumi engine hands a program run, validated. Apart from stacks/load.ts because
// it needs the Pulumi SDK, which takes about a second to load, and `slipway validate` or `--help` must
// not pay for it (they read stack files directly).
import * as pulumi from '@pulumi/pulumi';
import { secretValuesOf } from './appEnv';
import { parseConfigEntry, STACKS_DIR } from './load';
import type { SlipwayConfig } from './schema';
import { validateStackConfig, type Validation } from './validate';

/** Reads and validates the configuration the Pulumi engine handed to this program run. */
export function loadRuntimeConfig(): Validation {
  const stack = pulumi.getStack();
  const raw: Record<string, unknown> = {};
  // The engine passes every value as a string; structured values arrive as JSON.
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    raw[key] = parseConfigEntry(key, value);
  }
  return validateStackConfig(raw, { stack, file: `${STACKS_DIR}/Pulumi.${stack}.yaml`, decrypted: true });
}

/** The values of the app's secrets in this program run, decrypted: for the program only, never output. */
export function runtimeSecretValues(config: SlipwayConfig): Record<string, string> {
  return secretValuesOf(pulumi.runtime.allConfig(), config.app.secrets);
}
