// Reading stack configuration: from a stack file on disk (CLI, tests) or from the Pulumi runtime
// (the program). Both end in the same validateStackConfig.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { SECRET_KEY_PREFIX } from './appEnv';
import { STACK_FILE_MAX_BYTES } from './limits';
import { clip } from './show';
import { stackNameProblem, validateStackConfig, type Validation } from './validate';

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

/**
 * The `config:` mapping of a stack file, or an error line naming the file. The stack name is checked
 * before it becomes part of a path, and the file's size before it is read.
 */
export function readStackConfig(stack: string, root = process.cwd()): Record<string, unknown> | string {
  const nameProblem = stackNameProblem(stack);
  if (nameProblem) return `stack name: ${nameProblem}`;
  const file = stackFile(stack, root);
  const label = relative(root, file);
  if (!existsSync(file)) return `${label}: no such stack file (stacks: ${listStacks(root).join(', ') || 'none'})`;
  const stat = statSync(file);
  if (!stat.isFile()) return `${label}: not a file`;
  if (stat.size > STACK_FILE_MAX_BYTES) {
    return `${label}: ${mib(stat.size)} is over the ${mib(STACK_FILE_MAX_BYTES)} limit for a stack file`;
  }
  const parsed = parseYaml(readFileSync(file, 'utf8'));
  if (typeof parsed === 'string') return `${label}: ${parsed}`;
  const doc = parsed.value;
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) return `${label}: must be a mapping with a config: key`;
  const config = (doc as Record<string, unknown>).config ?? {};
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return `${label}: config: must be a mapping`;
  return config as Record<string, unknown>;
}

/**
 * A YAML text as plain data, or why not. Duplicate keys are found here in one pass: the yaml
 * library's own check compares every key with every other (17 s for a 50,000-key file).
 */
export function parseYaml(text: string): { value: unknown } | string {
  const lines = new LineCounter();
  try {
    const doc = parseDocument(text, { uniqueKeys: false, lineCounter: lines });
    const error = doc.errors[0];
    if (error) return `not valid YAML: ${clip(error.message.split('\n')[0] ?? '', 200)}`;
    const duplicate = firstDuplicateKey(doc.contents);
    if (duplicate) return `line ${lines.linePos(duplicate.offset).line}: duplicate key ${duplicate.key} (each key may appear once in a mapping)`;
    return { value: doc.toJS() };
  } catch (e) {
    return `not valid YAML: ${clip((e as Error).message.split('\n')[0] ?? '', 200)}`;
  }
}

function firstDuplicateKey(root: YamlNode | null): { key: string; offset: number } | undefined {
  const todo: unknown[] = [root];
  while (todo.length > 0) {
    const node = todo.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? pair.key.value : undefined;
        if (key !== undefined) {
          if (seen.has(key)) return { key: JSON.stringify(clip(String(key))), offset: (pair.key as YamlNode).range?.[0] ?? 0 };
          seen.add(key);
        }
        todo.push(pair.value);
      }
    } else if (isSeq(node)) {
      todo.push(...node.items);
    }
  }
  return undefined;
}

function mib(bytes: number): string {
  const m = bytes / 2 ** 20;
  return `${Number.isInteger(m) ? m : m.toFixed(1)} MiB`;
}

/** Reads and validates a stack file. */
export function loadStackFile(stack: string, root = process.cwd()): Validation {
  const raw = readStackConfig(stack, root);
  if (typeof raw === 'string') return { ok: false, errors: [raw] };
  return validateStackConfig(raw, { stack, file: relative(root, stackFile(stack, root)) });
}

/**
 * A config entry as the engine passes it back to plain JSON, except a secret of the app
 * (`slipway:secret.NAME`): that is the app's string as set, even when it looks like JSON.
 */
export function parseConfigEntry(key: string, value: string): unknown {
  return key.startsWith(`slipway:${SECRET_KEY_PREFIX}`) ? value : parseConfigValue(value);
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
