// `rebuild --into NEW --set key=value…`: the same environment under another stack. Its stack file is
// the source's with declared knobs overridden (ports for Docker, network or region for AWS), and is
// validated before anything is written or created. Pure except for reading and writing the files.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { parse as parseYamlValue, parseDocument } from 'yaml';
import { stackFile, STACKS_DIR } from '../../stacks/load';
import { schemaFor, TARGETS, type SlipwayConfig } from '../../stacks/schema';
import { clip, show } from '../../stacks/show';
import { NAMESPACE, shapeAt, validateStackConfig } from '../../stacks/validate';
import { UsageError, UserError } from '../cli/errors';

/** One `--set key=value`: the full key (`slipway:ports.public`), its path in the file, the value. */
export interface KnobSetting {
  key: string;
  /** Path under `config:`: `['slipway:ports', 'public']`. */
  path: string[];
  value: unknown;
}

/**
 * Keys that are not knobs: what the application is and what runs in each slot are the source's by
 * definition (the same releases, the same application), and the target decides every other key.
 */
export const NOT_KNOBS: readonly string[] = [`${NAMESPACE}:app`, `${NAMESPACE}:release`, `${NAMESPACE}:target`];

const KEY_RE = /^([a-z][a-z0-9-]*):([A-Za-z][\w-]*)((?:\.[A-Za-z][\w-]*)*)$/;

/**
 * Parses `key=value`. The value is read as YAML (`8090` a number, `true` a boolean, `[a, b]` a list,
 * anything else a string). Malformed text, or a key that is not a declared knob, is a usage error.
 */
export function parseSetting(arg: string, target: SlipwayConfig['target']): KnobSetting {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set: ${show(arg)} is not key=value (e.g. ${NAMESPACE}:ports.public=8090)`);
  const key = arg.slice(0, eq).trim();
  const text = arg.slice(eq + 1);
  const m = KEY_RE.exec(key);
  if (!m) throw new UsageError(`--set: ${show(key)} is not a configuration key (namespace:key[.field…], e.g. ${NAMESPACE}:ports.public)`);
  const [, ns, top, rest] = m as unknown as [string, string, string, string];
  const problem = knobProblem(ns, top, rest ? rest.slice(1).split('.') : [], target);
  if (problem) throw new UsageError(`--set: ${clip(key)}: ${problem}`);
  let value: unknown;
  try {
    value = text.trim() === '' ? '' : parseYamlValue(text);
  } catch {
    throw new UsageError(`--set: ${clip(key)}: ${show(text)} is not a value (a number, true/false, a string or a [list])`);
  }
  return { key, path: [`${ns}:${top}`, ...(rest ? rest.slice(1).split('.') : [])], value };
}

/** Why `ns:top.fields` cannot be overridden, or undefined when it is a declared knob. */
export function knobProblem(ns: string, top: string, fields: readonly string[], target: SlipwayConfig['target']): string | undefined {
  if (ns === 'aws') return target === 'aws' ? undefined : `aws: keys do not apply to a ${target} stack`;
  if (ns !== NAMESPACE) return `not a declared knob (${NAMESPACE}: keys, or aws: keys on an AWS stack)`;
  const full = `${NAMESPACE}:${top}`;
  if (NOT_KNOBS.includes(full)) {
    return full === `${NAMESPACE}:release`
      ? 'not a knob: the new stack runs the same releases as the source (the release state is written by the pipeline)'
      : full === `${NAMESPACE}:app`
        ? 'not a knob: every environment runs the same application settings'
        : `not a knob: the target is the source's (${TARGETS.join(' or ')} decides every other key)`;
  }
  const schema = schemaFor(target);
  const known = Object.keys(shapeAt(schema, []) ?? {});
  if (!known.includes(top)) return `not a declared knob of a ${target} stack (knobs: ${known.filter((k) => !NOT_KNOBS.includes(`${NAMESPACE}:${k}`)).map((k) => `${NAMESPACE}:${k}`).join(', ')})`;
  // Fields under a free-form mapping (tags) are any name; under a declared mapping they must exist.
  const parent = shapeAt(schema, [top, ...fields.slice(0, -1)]);
  const last = fields[fields.length - 1];
  if (last !== undefined && parent && !Object.hasOwn(parent, last)) {
    return `${NAMESPACE}:${top} has no field ${show(last)} (fields: ${Object.keys(parent).join(', ')})`;
  }
  return undefined;
}

/** The new stack file's text: the source's, comments kept, with each setting applied. */
export function applySettings(sourceText: string, settings: readonly KnobSetting[], header?: string): string {
  const doc = parseDocument(sourceText);
  for (const s of settings) doc.setIn(['config', ...s.path], s.value);
  if (header) doc.commentBefore = header + (doc.commentBefore ? `\n${doc.commentBefore}` : '');
  return doc.toString();
}

export interface IntoPlan {
  stack: string;
  file: string;
  text: string;
  config: SlipwayConfig;
}

/**
 * Everything `--into` needs, checked and computed before anything is written: NEW is a new name, the
 * overrides are knobs, and the resulting file validates. A Docker stack on the source's ports would
 * collide with it, so those must be overridden.
 */
export function planInto(root: string, source: string, sourceConfig: SlipwayConfig, into: string, sets: readonly string[]): IntoPlan {
  if (into === source) throw new UsageError(`--into: ${show(into)} is the stack being rebuilt; name a new stack`);
  const file = stackFile(into, root);
  const shown = relative(root, file);
  if (existsSync(file)) throw new UserError(`--into: ${shown} exists; rebuild into a new stack name (or \`slipway rebuild --stack ${into}\` to rebuild that one)`);
  const settings = sets.map((s) => parseSetting(s, sourceConfig.target));
  const text = applySettings(readFileSync(stackFile(source, root), 'utf8'), settings, ` Created by \`slipway rebuild --stack ${source} --into ${into}\` from ${STACKS_DIR}/Pulumi.${source}.yaml.`);
  const doc = parseDocument(text).toJS() as { config?: Record<string, unknown> };
  const v = validateStackConfig(doc.config ?? {}, { stack: into, file: shown });
  if (!v.ok) throw new UserError(v.errors);
  const config = v.config;
  if (config.target === 'docker' && sourceConfig.target === 'docker') {
    for (const port of ['public', 'test'] as const) {
      const taken = [sourceConfig.ports.public, sourceConfig.ports.test];
      if (taken.includes(config.ports[port])) {
        throw new UserError(`--into: ${shown}: ${NAMESPACE}:ports.${port}: ${config.ports[port]} is a port of stack ${source}; pass --set ${NAMESPACE}:ports.${port}=<another port>`);
      }
    }
  }
  return { stack: into, file, text, config };
}

/** Writes the new stack file; refuses to overwrite one that appeared meanwhile. */
export function writeInto(plan: IntoPlan): void {
  writeFileSync(plan.file, plan.text, { flag: 'wx' });
}
