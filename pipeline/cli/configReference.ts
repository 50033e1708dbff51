// The configuration reference, generated from the zod schema in stacks/schema.ts (through its JSON
// Schema), so the README and `slipway schema` can never drift from what validation enforces.
import { z } from 'zod';
import { ENV_COUNT_MAX, ENV_NAME_MAX, ENV_TOTAL_MAX, RESERVED_ENV_NAMES, SECRET_COUNT_MAX, SECRET_TOTAL_MAX, VALUE_MAX } from '../../stacks/appEnv';
import { awsConfigSchema, dockerConfigSchema, TARGETS, type Target } from '../../stacks/schema';
import { NAMESPACE } from '../../stacks/validate';

type JsonSchema = z.core.JSONSchema.BaseSchema;

export interface ReferenceRow {
  /** `slipway:app.smoke[].path` */
  key: string;
  /** `integer, 1 to 65535`, ``one of `blue`, `green` ``, `mapping`, … */
  type: string;
  /** `required`, `optional`, or the default value as JSON. */
  default: string;
  /** Targets whose stacks accept the key. */
  targets: Target[];
  description: string;
}

export const README_START = '<!-- config-reference:start -->';
export const README_END = '<!-- config-reference:end -->';

const TARGET_DESCRIPTION =
  'Where the environment runs: `aws` (VPC, ALB, ECS Fargate) or `docker` (this machine\'s Docker engine). Decides which other keys apply.';

interface Node {
  row: ReferenceRow;
  children: Node[];
}

/**
 * Every key of both targets' schemas, in schema order, as a depth-first list. A key whose row is the
 * same for both targets appears once; keys of one target follow the shared keys of their section.
 */
export function referenceRows(): ReferenceRow[] {
  const target: Node = {
    row: { key: `${NAMESPACE}:target`, type: oneOfText(TARGETS), default: 'required', targets: [...TARGETS], description: TARGET_DESCRIPTION },
    children: [],
  };
  const merged: Node[] = [target];
  for (const t of TARGETS) {
    const schema = t === 'aws' ? awsConfigSchema : dockerConfigSchema;
    const nodes = properties(jsonSchemaOf(schema), `${NAMESPACE}:`, t).filter((n) => n.row.key !== target.row.key);
    merge(merged, nodes);
  }
  const rows: ReferenceRow[] = [];
  const flatten = (nodes: Node[]): void => {
    for (const n of nodes) {
      rows.push(n.row);
      flatten(n.children);
    }
  };
  flatten(merged);
  return rows;
}

function merge(into: Node[], nodes: Node[]): void {
  for (const node of nodes) {
    const same = into.find((n) => sameRow(n.row, node.row));
    if (same) {
      same.row.targets.push(...node.row.targets);
      merge(same.children, node.children);
    } else {
      into.push(node);
    }
  }
}

function sameRow(a: ReferenceRow, b: ReferenceRow): boolean {
  return a.key === b.key && a.type === b.type && a.default === b.default && a.description === b.description;
}

/** The block between the README markers. */
export function referenceMarkdown(rows: ReferenceRow[] = referenceRows()): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    'Generated from `stacks/schema.ts` by `npx slipway schema --markdown`; do not edit by hand.',
    '',
    '| Key | Type | Default | Target | Description |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| \`${r.key}\` | ${cell(r.type)} | ${cell(r.default === 'required' || r.default === 'optional' ? r.default : `\`${r.default}\``)} | ${targetText(r.targets)} | ${cell(r.description)} |`),
    '',
    `\`[]\` in a key means "each item of the list". \`aws:\` keys must be ones the aws provider declares (a typo such as \`aws:regoin\` is refused); keys of other namespaces go to their provider unchecked.`,
    '',
    `\`slipway:secret.NAME\` (one flat key per name \`slipway:app.secrets\` lists, and no other) holds that secret's value, encrypted: \`pulumi config set --secret slipway:secret.NAME --stack S\`, without \`--path\`. Names are \`[A-Z_][A-Z0-9_]*\` (at most ${ENV_NAME_MAX} characters, not ${RESERVED_ENV_NAMES.join(', ')}); at most ${ENV_COUNT_MAX} plain and ${SECRET_COUNT_MAX} secret variables, each value at most ${VALUE_MAX} characters, plain values ${ENV_TOTAL_MAX} and secret values ${SECRET_TOTAL_MAX} characters in all.`,
  ].join('\n');
}

/** A plain-text form for the terminal. */
export function referenceText(rows: ReferenceRow[] = referenceRows()): string {
  return rows
    .map((r) => `${r.key}  (${targetText(r.targets)})  ${r.type}; ${r.default === 'required' || r.default === 'optional' ? r.default : `default ${r.default}`}\n    ${r.description}`.replace(/`/g, ''))
    .join('\n');
}

/** The text between the markers, or undefined when the README has no (complete) block. */
export function readmeBlock(readme: string): string | undefined {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start + README_START.length, end).trim();
}

/** The README with its block replaced by `block`; throws when the markers are missing. */
export function withReadmeBlock(readme: string, block: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${README_START} ... ${README_END} block`);
  return `${readme.slice(0, start + README_START.length)}\n${block}\n${readme.slice(end)}`;
}

function targetText(targets: readonly Target[]): string {
  return TARGETS.every((t) => targets.includes(t)) ? 'all' : targets.join(', ');
}

function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  // `input`: keys with defaults are optional for the user, and the default is what they get.
  return z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: ({ zodSchema }) => {
      const values = allowedValues(zodSchema as unknown as z.ZodType);
      return values ? { enum: values } : 'any';
    },
  });
}

/**
 * Allowed values of a `z.custom` one-of check: from its metadata (`values` or `enum`) when the
 * schema declares them, else from the list its own error message gives for a missing value.
 */
function allowedValues(schema: z.ZodType): (string | number)[] | undefined {
  const meta = z.globalRegistry.get(schema) as { values?: unknown; enum?: unknown } | undefined;
  const declared = meta?.values ?? meta?.enum;
  if (Array.isArray(declared)) return declared as (string | number)[];
  const parsed = schema.safeParse(undefined);
  const message = parsed.success ? '' : (parsed.error.issues[0]?.message ?? '');
  const list = /\(([^()]+)\)$/.exec(message)?.[1];
  return list?.split(', ').map((v) => (/^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v));
}

function node(json: JsonSchema, key: string, required: boolean, target: Target): Node {
  const items = json.items;
  const children =
    json.type === 'array' && items && typeof items === 'object' && !Array.isArray(items)
      ? properties(items, `${key}[].`, target) // a list of mappings: its items' keys as `key[].field`
      : properties(json, `${key}.`, target);
  const row: ReferenceRow = {
    key,
    type: typeText(json),
    default: json.default !== undefined ? JSON.stringify(json.default) : required ? 'required' : 'optional',
    targets: [target],
    description: json.description ?? '',
  };
  return { row, children };
}

/** Nodes for the keys of an object schema, each named `prefix + key`. */
function properties(json: JsonSchema, prefix: string, target: Target): Node[] {
  if (json.type !== 'object' || !json.properties) return [];
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties)
    .filter((entry): entry is [string, JsonSchema] => typeof entry[1] === 'object')
    .map(([name, child]) => node(child, `${prefix}${name}`, required.has(name), target));
}

function typeText(node: JsonSchema): string {
  if (node.const !== undefined) return `\`${String(node.const)}\``;
  if (Array.isArray(node.enum)) return oneOfText(node.enum as (string | number)[]);
  switch (node.type) {
    case 'integer':
    case 'number':
      return `${node.type}${range(node.minimum, node.maximum, '')}`;
    case 'string':
      if (node.minLength === 1 && node.maxLength === undefined) return 'non-empty string';
      return `string${range(node.minLength, node.maxLength, ' characters')}`;
    case 'boolean':
      return '`true` or `false`';
    case 'array': {
      const items = node.items && typeof node.items === 'object' && !Array.isArray(node.items) ? node.items : {};
      const of = items.type === 'object' ? 'mappings' : items.type === 'string' ? 'strings' : typeText(items);
      return `list of ${of}${node.minItems ? `, at least ${node.minItems}` : ''}`;
    }
    case 'object': {
      const values = node.additionalProperties;
      if (!node.properties && values && typeof values === 'object') return `mapping of string to ${typeText(values)}`;
      return 'mapping';
    }
    default:
      return 'any';
  }
}

function range(min: number | undefined, max: number | undefined, unit: string): string {
  if (min !== undefined && max !== undefined) return `, ${min} to ${max}${unit}`;
  if (min !== undefined) return `, at least ${min}${unit}`;
  if (max !== undefined) return `, at most ${max}${unit}`;
  return '';
}

function oneOfText(values: readonly (string | number)[]): string {
  return `one of ${values.map((v) => `\`${v}\``).join(', ')}`;
}
