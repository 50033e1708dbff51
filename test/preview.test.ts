// Pull-request previews, reading: the pure reader and summariser on real and hand-written Pulumi
// outputs (preview documents, engine event logs, engine port steps), and format detection.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../pipeline/cli/errors';
import { fromEngine, parsePreviewDocument, renderMarkdown, summarise, type StackPreview } from '../pipeline/review/preview';
import { UNKNOWN_VALUE } from '../pipeline/review/values';
import { ROOT } from './mocks';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'pulumi');
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');
const summaryOf = (name: string, stack?: string): StackPreview => {
  const parsed = parsePreviewDocument(fixture(name), name);
  return summarise(stack ?? parsed.stack ?? 'x', parsed);
};
const byName = (s: StackPreview, name: string) => {
  const c = s.changes.find((x) => x.name === name);
  if (!c) throw new Error(`no change for ${name}; have ${s.changes.map((x) => x.name).join(', ')}`);
  return c;
};
const prop = (s: StackPreview, name: string, path: string) => {
  const p = byName(s, name).properties.find((x) => x.path === path);
  if (!p) throw new Error(`${name} has no property change ${path}`);
  return p;
};

/** Table rows of a Markdown document: lines starting with `|`. */
const tableRows = (md: string) => md.split('\n').filter((l) => l.startsWith('|'));
/** Cells of a table row, honouring `\|` escapes. */

describe('reading a real `pulumi preview --json` document', () => {
  const s = summaryOf('preview-aws-cascading-updates.json');

  it('finds the stack, the engine counts and one change per updated resource', () => {
    expect(parsePreviewDocument(fixture('preview-aws-cascading-updates.json')).format).toBe('preview-json');
    expect(s.stack).toBe('test-d67e0b53');
    expect(s.kind).toBe('preview');
    expect(s.counts).toEqual({ same: 4, update: 4 });
    expect(s.changes.map((c) => [c.op, c.name, c.shortType])).toEqual([
      ['update', 'app-key', 'aws:kms:Key'],
      ['update', 'db-password', 'aws:ssm:Parameter'],
      ['update', 'api-key', 'aws:ssm:Parameter'],
      ['update', 'app-handler', 'aws:lambda:Function'],
    ]);
  });

  it('shows before and after from the states, by detailed-diff path', () => {
    expect(prop(s, 'app-handler', 'environment.variables.APP_ENV')).toMatchObject({ kind: 'update', old: '"staging"', new: '"production"' });
    expect(prop(s, 'app-handler', 'environment.variables.LOG_LEVEL')).toMatchObject({ kind: 'delete', old: '"debug"' });
    expect(prop(s, 'app-handler', 'environment.variables.LOG_LEVEL').new).toBeUndefined();
    expect(prop(s, 'app-key', 'enableKeyRotation')).toMatchObject({ old: 'false', new: 'true' });
  });

  it('keeps masked secrets masked', () => {
    expect(prop(s, 'db-password', 'value')).toMatchObject({ old: '[secret]', new: '[secret]' });
    const md = renderMarkdown({ stacks: [s] });
    expect(md).toContain('`[secret]`');
  });

  it('shows assets as short labels, not their contents', () => {
    const code = prop(s, 'app-handler', 'code');
    expect(code.new).toMatch(/^archive\(/);
    expect(renderMarkdown({ stacks: [s] })).not.toContain('def handler');
  });
});

describe('reading a real engine event log', () => {
  const parsed = parsePreviewDocument(fixture('events-up-securitygroup-update.jsonl'), 'log');
  const s = summarise(parsed.stack!, parsed);

  it('is recognised as the log of an applied update', () => {
    expect(parsed.format).toBe('event-log');
    expect(s.stack).toBe('dev');
    expect(s.kind).toBe('update');
    expect(s.counts).toEqual({ same: 5, update: 1 });
  });

  it('lists the security group rule that was added, with the new values', () => {
    expect(s.changes).toHaveLength(1);
    const sg = byName(s, 'eks-sg');
    expect(sg).toMatchObject({ op: 'update', type: 'aws:ec2/securityGroup:SecurityGroup', risk: { kind: 'traffic' } });
    expect(sg.properties.map((p) => p.path)).toContain('ingress[1].fromPort');
    expect(prop(s, 'eks-sg', 'ingress[1].fromPort')).toMatchObject({ kind: 'add', new: '22' });
    expect(prop(s, 'eks-sg', 'ingress[1].cidrBlocks[0]').new).toBe('"0.0.0.0/0"');
  });

  it('says the changes were already applied', () => {
    const md = renderMarkdown({ stacks: [s] });
    expect(md).toContain('already been applied');
    expect(md).toContain('1 updated');
  });
});

describe('replacements, deletions, secrets and unknowns (hand-written digest)', () => {
  const s = summaryOf('preview-slipway-replace-delete.json');

  it('puts replacements and deletions first, risky ones before the rest', () => {
    expect(s.changes.map((c) => `${c.op} ${c.name}`)).toEqual([
      'replace shop-dev-blue-tg',
      'delete shop-dev-legacy-logs',
      'delete shop-dev-old-policy',
      'create shop-dev-green-5xx',
      'update shop-dev-public-listener',
      'update shop-dev-green-task',
      'update shop-dev-db-url',
    ]);
    expect(byName(s, 'shop-dev-blue-tg')).toMatchObject({ risk: { kind: 'traffic', what: 'target group' }, replaceReasons: ['port'] });
    expect(byName(s, 'shop-dev-legacy-logs').risk).toEqual({ kind: 'stateful', what: 'log group (30-day retention)' });
    expect(byName(s, 'shop-dev-old-policy').risk).toBeUndefined();
    expect(prop(s, 'shop-dev-blue-tg', 'port')).toMatchObject({ replaces: true, old: '8080', new: '9090' });
  });

  it('shows values known only after apply as [unknown]', () => {
    expect(prop(s, 'shop-dev-green-task', 'containerDefinitions').new).toBe('[unknown]');
    expect(renderMarkdown({ stacks: [s] })).not.toContain(UNKNOWN_VALUE);
  });

  it('renders the attention table before the rest, with the flags', () => {
    const md = renderMarkdown({ stacks: [s] });
    const attention = md.indexOf('#### Replacements and deletions (3)');
    expect(attention).toBeGreaterThan(0);
    expect(attention).toBeLessThan(md.indexOf('#### Other changes by type'));
    const tgRow = tableRows(md).find((r) => r.includes('shop-dev-blue-tg') && r.includes('**replace**'))!;
    expect(tgRow).toContain('⚠️');
    expect(tgRow).toContain('carries traffic');
    expect(tgRow).toContain('forced by `port`');
    const policyRow = tableRows(md).find((r) => r.includes('shop-dev-old-policy') && r.includes('**delete**'))!;
    expect(policyRow).not.toContain('⚠️');
    expect(md).toContain('| `dev` | 1 | 3 | 1 | 2 | 31 |');
  });

  it('shows the warning above the changes', () => {
    const md = renderMarkdown({ stacks: [s] });
    expect(md.indexOf('inference_accelerator')).toBeGreaterThan(0);
    expect(md.indexOf('inference_accelerator')).toBeLessThan(md.indexOf('#### Replacements and deletions'));
    // info diagnostics are not reviewer material
    expect(md).not.toContain('Resource changes will not be applied');
  });
});

describe('replacement triples, secret envelopes and diagnostics (hand-written event log)', () => {
  const parsed = parsePreviewDocument(fixture('events-preview-replacements.jsonl'), 'events');
  const s = summarise('dev', parsed);
  const md = renderMarkdown({ stacks: [s] });

  it('folds create-replacement / replace / delete-replaced into ONE replacement each', () => {
    expect(parsed.kind).toBe('preview');
    const replaced = s.changes.filter((c) => c.op === 'replace');
    expect(replaced.map((c) => c.name)).toEqual(['shop-dev-alb-sg', 'shop-dev-db']);
    expect(s.changes.filter((c) => c.name === 'shop-dev-alb-sg')).toHaveLength(1);
    expect(s.changes.some((c) => c.op === 'create' || c.op === 'delete')).toBe(false);
    expect(s.counts).toEqual({ replace: 2, same: 27, update: 2 });
  });

  it('tells create-before-delete from delete-before-replace', () => {
    expect(byName(s, 'shop-dev-alb-sg').deleteBeforeReplace).toBe(false);
    expect(byName(s, 'shop-dev-db').deleteBeforeReplace).toBe(true);
    expect(byName(s, 'shop-dev-db').risk).toEqual({ kind: 'stateful', what: 'database' });
    const dbRow = tableRows(md).find((r) => r.includes('shop-dev-db') && r.includes('**replace**'))!;
    expect(dbRow).toContain('before** its replacement');
    expect(dbRow).toContain('holds data');
  });

  it('never prints a secret, whatever form it arrives in', () => {
    expect(prop(s, 'shop-dev-db', 'password')).toMatchObject({ old: '[secret]', new: '[secret]' });
    expect(prop(s, 'shop-dev-api-token', 'value')).toMatchObject({ old: '[secret]', new: '[secret]' });
    const json = JSON.stringify(s);
    for (const out of [md, json]) {
      expect(out).not.toContain('hunter2');
      expect(out).not.toContain('plaintext');
      expect(out).not.toContain('ciphertext');
      expect(out).not.toContain('cGxlYXNlLW5ldmVyLXNob3c');
    }
  });

  it('shows unknown values and unresolved outputs as [unknown]', () => {
    expect(prop(s, 'shop-dev-blue-svc', 'taskDefinition')).toMatchObject({ new: '[unknown]' });
    expect(prop(s, 'shop-dev-blue-svc', 'loadBalancers[0].targetGroupArn')).toMatchObject({ new: '[unknown]' });
    expect(prop(s, 'shop-dev-blue-svc', 'taskDefinition').old).toMatch(/^"arn:aws:ecs:/);
  });

  it('puts errors (policy violations included) before warnings, at the top, without colour tags', () => {
    expect(s.diagnostics.map((d) => [d.severity, d.resource])).toEqual([
      ['error', 'shop-dev-green-svc'],
      ['error', 'shop-dev-db'],
      ['warning', 'shop-dev-blue-svc'],
    ]);
    expect(s.diagnostics[1]!.message).toContain('rds-deletion-protection');
    const errors = md.indexOf('❌ Errors (2)');
    const warnings = md.indexOf('⚠️ Warnings (1)');
    expect(errors).toBeGreaterThan(0);
    expect(errors).toBeLessThan(warnings);
    expect(warnings).toBeLessThan(md.indexOf('#### Replacements and deletions'));
    expect(md).not.toContain('<{%');
    // ephemeral, info and program stderr stay out
    expect(md).not.toContain('Downloading plugin');
    expect(md).not.toContain('retrying describe-images');
    expect(md).toContain('❌ 2 errors');
  });
});

describe('engine port steps', () => {
  it('list changed paths without values, and with values when the adapter passes states along', () => {
    const urn = 'urn:pulumi:dev::slipway::aws:ecs/service:Service::shop-dev-blue-svc';
    const bare = summarise('dev', fromEngine({ changes: { update: 1 }, steps: [{ op: 'update', urn, type: 'aws:ecs/service:Service', diff: { desiredCount: 'update' } }] }));
    expect(bare.changes[0]!.properties).toEqual([{ path: 'desiredCount', kind: 'update', replaces: false }]);
    const withStates = { op: 'update', urn, type: 'aws:ecs/service:Service', diff: { desiredCount: 'update', 'environment.TOKEN': 'update' }, old: { inputs: { desiredCount: 1, environment: '[secret]' } }, new: { inputs: { desiredCount: 2, environment: '[secret]' } } };
    const rich = summarise('dev', fromEngine({ changes: { update: 1 }, steps: [withStates] }));
    expect(rich.changes[0]!.properties).toEqual([
      { path: 'desiredCount', kind: 'update', replaces: false, old: '1', new: '2' },
      { path: 'environment.TOKEN', kind: 'update', replaces: false, old: '[secret]', new: '[secret]' },
    ]);
  });
});

describe('a failed preview document', () => {
  const s = summaryOf('preview-failed-program-error.json');

  it('names the stack from the diagnostics and shows the errors instead of "no changes"', () => {
    expect(s.stack).toBe('dev');
    expect(s.diagnostics.filter((d) => d.severity === 'error')).toHaveLength(2);
    const md = renderMarkdown({ stacks: [s] });
    expect(md).toContain('TypeError: Cannot read properties of undefined');
    expect(md).toContain('No changes could be listed');
    expect(md).not.toMatch(/^No changes\./m);
  });
});

describe('format detection', () => {
  it('reads a one-line event log, a JSON array of events and an {events} batch alike', () => {
    const line = fixture('events-up-securitygroup-update.jsonl').split('\n').find((l) => l.includes('"op":"update"') && l.includes('resourcePreEvent'))!;
    const events = fixture('events-up-securitygroup-update.jsonl').trim().split('\n').map((l) => JSON.parse(l));
    for (const text of [line, JSON.stringify(events), JSON.stringify({ events })]) {
      const p = parsePreviewDocument(text);
      expect(p.format).toBe('event-log');
      expect(p.steps.some((s) => s.op === 'update' && s.urn.endsWith('::eks-sg'))).toBe(true);
    }
  });

  it('reads an empty preview digest as no changes', () => {
    const s = summarise('dev', parsePreviewDocument('{}'));
    expect(s.changes).toEqual([]);
    expect(renderMarkdown({ stacks: [s] })).toContain('No changes.');
  });

  it('refuses what is neither, with one line naming the input', () => {
    expect(() => parsePreviewDocument('', 'a.json')).toThrow(/^a\.json: empty/);
    expect(() => parsePreviewDocument('{"hello": 1}', 'b.json')).toThrow(/b\.json: not a `pulumi preview --json` document/);
    expect(() => parsePreviewDocument('{"sequence":1,"preludeEvent":{}}\nnot json\n', 'c.jsonl')).toThrow(/c\.jsonl: line 2 is not JSON/);
    expect(() => parsePreviewDocument('{"steps": [{"urn": 3}]}', 'd.json')).toThrow(/d\.json: steps\[0\] needs a string op and urn/);
    expect(() => parsePreviewDocument('{"a":1}\n{"b":2}\n', 'e.jsonl')).toThrow(/e\.jsonl: no engine events/);
    try {
      parsePreviewDocument('', 'x');
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
    }
  });
});
