// Reading stack configuration: from a stack file on disk (CLI, tests) or from the Pulumi runtime
// (the program). Both end in the same validateStackConfig.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { parse } from 'yaml';
import { validateStackConfig, type Validation } from './validate';

export const STACKS_DIR = 'stacks';

export function stackFile(stack: string, root = process.cwd()): string {
  return join(root, STACKS_DIR, `Pulumi.${stack}.yaml`);
}

/** Stack names with a file in stacks/, sorted. */
export function listStacks(root = process.cwd()): string[] {
  const dir = join(root, STACKS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** The `config:` mapping of a stack file, or an error line naming the file. */
export function readStackConfig(stack: string, root = process.cwd()): Record<string, unknown> | string {
  const file = stackFile(stack, root);
  const label = relative(root, file);
  if (!existsSync(file)) return `${label}: no such stack file (stacks: ${listStacks(root).join(', ') || 'none'})`;
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return `${label}: not valid YAML: ${(e as Error).message.split('\n')[0]}`;
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) return `${label}: must be a mapping with a config: key`;
  const config = (doc as Record<string, unknown>).config ?? {};
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return `${label}: config: must be a mapping`;
  return config as Record<string, unknown>;
}

/** Reads and validates a stack file. */
export function loadStackFile(stack: string, root = process.cwd()): Validation {
  const raw = readStackConfig(stack, root);
  if (typeof raw === 'string') return { ok: false, errors: [raw] };
  return validateStackConfig(raw, { stack, file: relative(root, stackFile(stack, root)) });
}

/** Reads and validates the configuration the Pulumi engine handed to this program run. */
export function loadRuntimeConfig(): Validation {
  const stack = pulumi.getStack();
  const raw: Record<string, unknown> = {};
  // The engine passes every value as a string; structured values arrive as JSON.
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    raw[key] = parseConfigValue(value);
  }
  return validateStackConfig(raw, { stack, file: `${STACKS_DIR}/Pulumi.${stack}.yaml` });
}

/** A config value as the engine passes it (a string; structured values as JSON) back to plain JSON. */
export function parseConfigValue(value: string): unknown {
  const t = value.trim();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.parse(t);
    } catch {
      return value;
    }
  }
  return value;
}
