// The configuration reference is generated from the schema; README.md must carry the current text.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readmeBlock, referenceMarkdown, referenceRows, withReadmeBlock } from '../pipeline/cli/configReference';
import { listStacks, loadStackFile } from '../stacks/load';
import { FARGATE_CPU_VALUES } from '../stacks/limits';
import { ROOT, rawStack } from './mocks';

describe('README configuration reference', () => {
  it('matches the schema', () => {
    const block = readmeBlock(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    const fix = 'README.md is out of date with stacks/schema.ts: run `npx slipway schema --write-readme` ' +
      '(or `npx slipway schema --markdown` and paste it between the config-reference markers)';
    expect(block, fix).toBeDefined();
    expect(block, fix).toBe(referenceMarkdown());
  });
});

describe('generated reference', () => {
  const rows = referenceRows();
  const row = (key: string) => {
    const found = rows.filter((r) => r.key === key);
    if (found.length !== 1) throw new Error(`expected one row for ${key}, found ${found.length}`);
    return found[0]!;
  };

  it('documents every key the shipped stack files use, for their target', () => {
    for (const stack of listStacks(ROOT)) {
      const loaded = loadStackFile(stack, ROOT);
      if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
      for (const key of leafKeys(rawStack(stack))) {
        if (!key.startsWith('slipway:') || key.startsWith('slipway:tags.')) continue;
        const targets = rows.filter((r) => r.key === key).flatMap((r) => r.targets);
        expect(targets, `${key} (stack ${stack})`).toContain(loaded.config.target);
      }
    }
  });

  it('gives each row a type, a default or required/optional, and a description', () => {
    for (const r of rows) {
      expect(r.type, r.key).not.toBe('any');
      expect(r.default, r.key).not.toBe('');
      expect(r.description, r.key).not.toBe('');
    }
  });

  it('lists allowed values, defaults and targets from the schema', () => {
    expect(row('slipway:capacity.cpu')).toMatchObject({ targets: ['aws'], default: 'required' });
    expect(row('slipway:capacity.cpu').type).toBe(`one of ${FARGATE_CPU_VALUES.map((v) => `\`${v}\``).join(', ')}`);
    expect(row('slipway:capacity.memoryMb').targets).toEqual(['docker']);
    expect(row('slipway:release.live')).toMatchObject({ type: 'one of `blue`, `green`', targets: ['aws', 'docker'] });
    expect(row('slipway:app.smoke[].status')).toMatchObject({ type: 'integer, 100 to 599', default: '200' });
    expect(row('slipway:app.smoke[].bodyIncludes').default).toBe('optional');
    expect(row('slipway:network.testListenerPort')).toMatchObject({ default: '8443', targets: ['aws'] });
  });

  it('replaces the README block and reads it back', () => {
    const readme = 'intro\n<!-- config-reference:start -->\nstale\n<!-- config-reference:end -->\nrest\n';
    const updated = withReadmeBlock(readme, 'fresh');
    expect(updated).toBe('intro\n<!-- config-reference:start -->\nfresh\n<!-- config-reference:end -->\nrest\n');
    expect(readmeBlock(updated)).toBe('fresh');
    expect(() => withReadmeBlock('no markers', 'x')).toThrow(/config-reference:start/);
  });
});

/** `{a: {b: [{c: 1}], d: [1]}}` -> `a.b[].c`, `a.d` (a namespaced top-level key keeps its colon). */
function leafKeys(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) {
    const objects = value.filter((v) => v && typeof v === 'object');
    return objects.length === 0 ? [prefix] : objects.flatMap((v) => leafKeys(v, `${prefix}[]`));
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return [prefix];
    return entries.flatMap(([k, v]) => leafKeys(v, prefix ? `${prefix}.${k}` : k));
  }
  return [prefix];
}
