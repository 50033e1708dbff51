// Pull-request previews: the pure reader/summariser/renderer on real and hand-written Pulumi outputs,
// the command against the engine double, and the GitHub workflows as YAML.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { run } from '../pipeline/cli/main';
import { previewCommand, registerPreview } from '../pipeline/cli/commands/preview';
import type { PreviewResult } from '../pipeline/engine/port';
import { CheckFailed, EXIT, exitCodeFor, LockHeld, UserError } from '../pipeline/cli/errors';
import { memorySink } from '../pipeline/cli/output';
import {
  code,
  DEFAULT_MAX_CHARS,
  fromEngine,
  MAX_ATTENTION_ROWS,
  MAX_GROUP_ROWS,
  MAX_PROPERTIES,
  parsePreviewDocument,
  PREVIEW_MARKER,
  renderMarkdown,
  riskOf,
  summarise,
  type PreviewSummary,
  type StackPreview,
} from '../pipeline/review/preview';
import { parsePath, parseUrn, shortType, UNKNOWN_VALUE } from '../pipeline/review/values';
import { listStacks } from '../stacks/load';
import { EngineDouble } from './support/engineDouble';
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
const cells = (row: string) => row.replace(/\\\|/g, '\u0000').split('|').slice(1, -1);

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

describe('paths, URNs and types', () => {
  it('parses property paths with indices and quoted keys', () => {
    expect(parsePath('ingress[1].cidrBlocks[0]')).toEqual(['ingress', 1, 'cidrBlocks', 0]);
    expect(parsePath('tags["kubernetes.io/cluster"]')).toEqual(['tags', 'kubernetes.io/cluster']);
    expect(parsePath('a["x\\"]y"].b')).toEqual(['a', 'x"]y', 'b']);
    expect(parsePath('environment.variables.APP_ENV')).toEqual(['environment', 'variables', 'APP_ENV']);
  });

  it('takes names (which may contain ::) and own types from URNs', () => {
    expect(parseUrn('urn:pulumi:dev::slipway::slipway:aws:Environment$aws:lb/targetGroup:TargetGroup::a::b')).toEqual({
      stack: 'dev',
      project: 'slipway',
      type: 'aws:lb/targetGroup:TargetGroup',
      name: 'a::b',
    });
    expect(parseUrn('not-a-urn').name).toBe('not-a-urn');
  });

  it('shortens types only where the member repeats the name', () => {
    expect(shortType('aws:ec2/securityGroup:SecurityGroup')).toBe('aws:ec2:SecurityGroup');
    expect(shortType('aws:ec2/routeTableAssociation:RouteTableAssociation')).toBe('aws:ec2:RouteTableAssociation');
    expect(shortType('slipway:aws:Environment')).toBe('slipway:aws:Environment');
  });

  it('flags the traffic-bearing and stateful types', () => {
    const flagged = {
      'aws:lb/loadBalancer:LoadBalancer': 'traffic',
      'aws:alb/listener:Listener': 'traffic',
      'aws:lb/targetGroup:TargetGroup': 'traffic',
      'aws:ec2/vpc:Vpc': 'traffic',
      'aws:ec2/subnet:Subnet': 'traffic',
      'aws:ec2/routeTable:RouteTable': 'traffic',
      'aws:ec2/natGateway:NatGateway': 'traffic',
      'aws:ec2/internetGateway:InternetGateway': 'traffic',
      'aws:ec2/securityGroup:SecurityGroup': 'traffic',
      'aws:ecr/repository:Repository': 'stateful',
      'aws:rds/cluster:Cluster': 'stateful',
      'aws:dynamodb/table:Table': 'stateful',
      'aws:elasticache/replicationGroup:ReplicationGroup': 'stateful',
      'aws:cloudwatch/logGroup:LogGroup': 'stateful',
    };
    for (const [type, kind] of Object.entries(flagged)) expect(riskOf(type)?.kind, type).toBe(kind);
    for (const type of ['aws:iam/role:Role', 'aws:ecs/taskDefinition:TaskDefinition', 'aws:cloudwatch/metricAlarm:MetricAlarm', 'docker:index/container:Container']) {
      expect(riskOf(type), type).toBeUndefined();
    }
    expect(riskOf('aws:cloudwatch/logGroup:LogGroup', { inputs: { retentionInDays: 365 } })?.what).toBe('log group (365-day retention)');
  });
});

describe('Markdown escaping', () => {
  it('code spans survive backticks and pipes', () => {
    expect(code('a`b')).toBe('``a`b``');
    expect(code('`x`')).toBe('`` `x` ``');
    expect(code('a|b', true)).toBe('`a\\|b`');
    expect(code('a\nb')).toBe('`a⏎b`');
  });

  it('hostile names cannot break the tables or the details block', () => {
    const evil = 'x|y`z</details><!-- -->';
    const steps: PreviewResult['steps'] = [
      { op: 'delete', urn: `urn:pulumi:dev::p::aws:ecr/repository:Repository::${evil}`, type: 'aws:ecr/repository:Repository', diff: {} },
      { op: 'update', urn: `urn:pulumi:dev::p::aws:s3/bucketV2:BucketV2::b|c`, type: 'aws:s3/bucketV2:BucketV2', diff: { 'tags["a|b"]': 'update', '`weird`': 'add' } },
    ];
    const md = renderMarkdown({ stacks: [summarise('dev', fromEngine({ changes: { delete: 1, update: 1 }, steps }))] });
    // Outside code spans (where HTML is inert) only our own tags remain.
    const markup = md.replace(/(`+)[\s\S]*?(?<!`)\1(?!`)/g, '');
    expect(markup.match(/<\/details>/g)).toHaveLength(1);
    expect(markup.match(/<details>/g)).toHaveLength(1);
    expect(markup.match(/<!--/g)).toHaveLength(1); // the marker
    // every row of a table has as many cells as its header
    const blocks = md.split(/\n\n/).filter((b) => b.startsWith('|'));
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const block of blocks) {
      const rows = block.split('\n');
      for (const r of rows) expect(cells(r).length, r).toBe(cells(rows[0]!).length);
    }
    expect(md).toContain('``x\\|y`z</details><!-- -->``');
  });
});

/** A `pulumi preview --json` document with `n` changed resources of many kinds, like a large refactor. */
function bigDigest(n: number): string {
  const types = [
    'aws:ec2/securityGroupRule:SecurityGroupRule',
    'aws:iam/rolePolicyAttachment:RolePolicyAttachment',
    'aws:cloudwatch/metricAlarm:MetricAlarm',
    'aws:ecs/taskDefinition:TaskDefinition',
    'aws:lb/listenerRule:ListenerRule',
    'aws:ec2/subnet:Subnet',
    'aws:rds/instance:Instance',
  ];
  const ops = ['update', 'update', 'update', 'create', 'replace', 'delete'];
  const steps = [];
  for (let i = 0; i < n; i++) {
    // Many distinct types so the grouped table has to cap too.
    const type = i < 60 ? `aws:svc${i % 30}/thing:Thing` : types[i % types.length]!;
    const op = ops[i % ops.length]!;
    const name = `shop-prod-${type.split(':').pop()!.toLowerCase()}-${i}-with-a-rather-long-logical-name`;
    const urn = `urn:pulumi:prod::slipway::slipway:aws:Environment$${type}::${name}`;
    const inputs: Record<string, unknown> = {};
    const outputs: Record<string, unknown> = {};
    const detailedDiff: Record<string, { kind: string; inputDiff: boolean }> = {};
    for (let k = 0; k < 10; k++) {
      inputs[`property${k}`] = `new-value-${'x'.repeat(100)}-${i}-${k}`;
      outputs[`property${k}`] = `old-value-${'y'.repeat(100)}-${i}-${k}`;
      detailedDiff[`property${k}`] = { kind: op === 'replace' && k === 0 ? 'update-replace' : 'update', inputDiff: false };
    }
    steps.push({
      op,
      urn,
      ...(op !== 'create' ? { oldState: { urn, type, inputs: outputs, outputs } } : {}),
      ...(op !== 'delete' ? { newState: { urn, type, inputs } } : {}),
      ...(op === 'replace' ? { replaceReasons: ['property0'] } : {}),
      detailedDiff: op === 'update' || op === 'replace' ? detailedDiff : null,
    });
  }
  const changeSummary: Record<string, number> = { same: 412 };
  for (const s of steps) changeSummary[s.op] = (changeSummary[s.op] ?? 0) + 1;
  return JSON.stringify({ steps, changeSummary, duration: 9e9 }, null, 4);
}

describe('200 changed resources', () => {
  const s = summarise('prod', parsePreviewDocument(bigDigest(200)));
  const md = renderMarkdown({ stacks: [s] });

  it('summarises every change', () => {
    expect(s.changes).toHaveLength(200);
    expect(s.counts.same).toBe(412);
  });

  it('stays within a GitHub comment and caps each list with a count', () => {
    expect(md.length).toBeLessThanOrEqual(DEFAULT_MAX_CHARS);
    const attention = s.changes.filter((c) => c.op === 'replace' || c.op === 'delete').length;
    expect(attention).toBeGreaterThan(MAX_ATTENTION_ROWS);
    const attentionTable = md.slice(md.indexOf('#### Replacements and deletions'), md.indexOf('#### Other changes'));
    expect(tableRows(attentionTable)).toHaveLength(MAX_ATTENTION_ROWS + 2);
    expect(attentionTable).toContain(`… and ${attention - MAX_ATTENTION_ROWS} more replacements and deletions`);
    const grouped = md.slice(md.indexOf('#### Other changes'), md.indexOf('<details>'));
    expect(tableRows(grouped).length).toBeLessThanOrEqual(MAX_GROUP_ROWS + 2);
    expect(grouped).toMatch(/… and \d+ more in \d+ other groups/);
  });

  it('keeps rows short: capped properties, truncated values', () => {
    const details = md.slice(md.indexOf('<details>'));
    for (const row of tableRows(details).slice(2)) {
      expect(row.length).toBeLessThan(1200);
      expect((row.match(/<br>/g) ?? []).length).toBeLessThanOrEqual(MAX_PROPERTIES);
    }
    expect(details).toContain(`+${10 - MAX_PROPERTIES} more`);
    expect(details).not.toContain('x'.repeat(80));
  });

  it('cuts the full list to the size limit and says how many it left out', () => {
    const small = renderMarkdown({ stacks: [s] }, { maxChars: 25_000 });
    expect(small.length).toBeLessThanOrEqual(25_000);
    const shown = tableRows(small.slice(small.indexOf('<details>'))).length - 2;
    const cut = Number(/… and (\d+) more not shown here/.exec(small)?.[1]);
    expect(shown).toBeGreaterThan(0);
    expect(shown + cut).toBe(200);
    expect(small.trimEnd().endsWith('</details>')).toBe(true);
  });

  it('shares the limit across stacks', () => {
    const two: PreviewSummary = { stacks: [s, { ...s, stack: 'staging' }, { ...s, stack: 'dev' }] };
    const out = renderMarkdown(two);
    expect(out.length).toBeLessThanOrEqual(DEFAULT_MAX_CHARS);
    expect(out.match(/<details>/g)).toHaveLength(3);
    expect(out.match(/more not shown here/g)).toHaveLength(3);
  });
});

// ---------------------------------------------------------------------------------------------------
// The command, against the engine double

const SG = 'aws:ec2/securityGroup:SecurityGroup';
const devPreview: PreviewResult = {
  changes: { create: 1, replace: 1, update: 1, same: 40 },
  steps: [
    { op: 'create-replacement', urn: `urn:pulumi:dev::slipway::${SG}::shop-dev-alb-sg`, type: SG, diff: { name: 'update-replace' }, replaceReasons: ['name'] },
    { op: 'replace', urn: `urn:pulumi:dev::slipway::${SG}::shop-dev-alb-sg`, type: SG, diff: { name: 'update-replace' }, replaceReasons: ['name'] },
    { op: 'create', urn: 'urn:pulumi:dev::slipway::aws:cloudwatch/metricAlarm:MetricAlarm::shop-dev-green-5xx', type: 'aws:cloudwatch/metricAlarm:MetricAlarm', diff: {} },
    { op: 'update', urn: 'urn:pulumi:dev::slipway::aws:ecs/service:Service::shop-dev-blue-svc', type: 'aws:ecs/service:Service', diff: { desiredCount: 'update' } },
    { op: 'delete-replaced', urn: `urn:pulumi:dev::slipway::${SG}::shop-dev-alb-sg`, type: SG, diff: { name: 'update-replace' }, replaceReasons: ['name'] },
  ],
};

describe('slipway preview (engine double)', () => {
  let cwd: string;
  let engine: EngineDouble;
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'slipway-preview-'));
    cpSync(join(ROOT, 'stacks'), join(cwd, 'stacks'), { recursive: true });
    engine = new EngineDouble();
    return () => rmSync(cwd, { recursive: true, force: true });
  });
  const opts = (extra: Partial<Parameters<typeof previewCommand>[0]> = {}) => ({ cwd, output: memorySink(), env: {}, verbose: false, engine, ...extra });

  it('previews several stacks into one comment; a failing one is reported without losing the others', async () => {
    engine.seed('dev').previewResult = devPreview;
    const staging = engine.seed('staging');
    staging.previewEvents = [{ kind: 'diagnostic', severity: 'error', message: 'error: unable to validate AWS credentials', urn: 'urn:pulumi:staging::slipway::pulumi:pulumi:Stack::slipway-staging' }];
    staging.failPreview = new Error('code: 255\n stdout: \n stderr: error: preview failed: unable to validate AWS credentials');
    engine.seed('prod').previewResult = { changes: { same: 57 }, steps: [] };
    const o = opts({ stacks: ['dev', 'staging', 'prod'], markdown: 'preview.md' });

    const err = await previewCommand(o).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckFailed);
    expect(exitCodeFor(err)).toBe(EXIT.failure);
    expect((err as CheckFailed).problems).toEqual(['preview of staging failed: code: 255']);

    const md = readFileSync(join(cwd, 'preview.md'), 'utf8');
    expect(md.startsWith(PREVIEW_MARKER)).toBe(true);
    expect(md).toContain('| `dev` | 1 | 1 | 1 | 0 | 40 |');
    expect(md).toMatch(/\| `staging` \| – \| – \| – \| – \| – \| ❌ preview failed/);
    expect(md).toContain('| `prod` | 0 | 0 | 0 | 0 | 57 | no changes |');
    expect(md).toContain('unable to validate AWS credentials');
    // the replacement triple is one replacement, flagged
    expect(md.match(/shop-dev-alb-sg/g)!.length).toBe(2); // attention table + full list
    expect(md).toContain('carries traffic');
    expect(md).toContain('No changes (57 resources unchanged).');
    // each stack previewed once, in order; stdout has one line per stack
    expect([engine.stacks.get('dev')!.previews, staging.previews, engine.stacks.get('prod')!.previews]).toEqual([1, 1, 1]);
    const out = (o.output as ReturnType<typeof memorySink>).stdout.trim().split('\n');
    expect(out).toEqual([
      'dev: 1 to replace, 1 to create, 1 to update, 40 unchanged (1 risky)',
      expect.stringMatching(/^staging: preview failed: code: 255/),
      'prod: no changes (57 unchanged)',
    ]);
  });

  it('reports a held stack lock as that stack\'s failure', async () => {
    engine.seed('dev').failPreview = new LockHeld('stack dev is locked by another update in progress');
    engine.seed('prod').previewResult = devPreview;
    const o = opts({ stacks: ['dev', 'prod'], json: true });
    await expect(previewCommand(o)).rejects.toThrow(/preview of dev failed: stack dev is locked/);
    const summary = JSON.parse((o.output as ReturnType<typeof memorySink>).stdout) as PreviewSummary;
    expect(summary.stacks.map((s) => [s.stack, s.error !== undefined, s.changes.length])).toEqual([
      ['dev', true, 0],
      ['prod', false, 3],
    ]);
  });

  it('previews every stack in stacks/ when none is named, and prints Markdown by default', async () => {
    const o = opts();
    const summary = await previewCommand(o);
    expect(summary.stacks.map((s) => s.stack)).toEqual(listStacks(cwd));
    expect(summary.stacks.length).toBeGreaterThan(1);
    expect((o.output as ReturnType<typeof memorySink>).stdout.startsWith(PREVIEW_MARKER)).toBe(true);
  });

  it('refuses an unknown stack before previewing anything', async () => {
    await expect(previewCommand(opts({ stacks: ['dev', 'qa'] }))).rejects.toThrow(`--stack: "qa" has no stack file (stacks: ${listStacks(cwd).join(', ')})`);
    expect(engine.selects).toBe(0);
  });

  it('reports an invalid stack file as that stack\'s failure and previews the rest', async () => {
    const file = join(cwd, 'stacks', 'Pulumi.staging.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('cpu: 512', 'cpu: 300'));
    const o = opts({ stacks: ['staging', 'dev'], json: true });
    await expect(previewCommand(o)).rejects.toThrow(/preview of staging failed: .*slipway:capacity\.cpu/);
    expect(engine.stacks.get('dev')!.previews).toBe(1);
    expect(engine.stacks.get('staging')).toBeUndefined();
  });

  it('--from renders saved documents without an engine, naming stacks from their URNs', async () => {
    const o = opts({ engine: undefined, from: [join(FIXTURES, 'events-preview-replacements.jsonl'), join(FIXTURES, 'preview-aws-cascading-updates.json')], markdown: 'out.md' });
    const summary = await previewCommand(o);
    expect(summary.stacks.map((s) => s.stack)).toEqual(['dev', 'test-d67e0b53']);
    expect(readFileSync(join(cwd, 'out.md'), 'utf8')).toContain('shop-dev-db');
  });

  it('through the CLI: --stack repeats, --from with --stack names the stack, bad files exit 1', async () => {
    const out = memorySink();
    const code = await run(['preview', '--from', join(FIXTURES, 'preview-slipway-replace-delete.json'), '--stack', 'pr-42', '--json'], { cwd, output: out, env: {}, commands: [registerPreview] });
    expect(code).toBe(EXIT.ok);
    expect((JSON.parse(out.stdout) as PreviewSummary).stacks[0]!.stack).toBe('pr-42');

    const bad = memorySink();
    writeFileSync(join(cwd, 'bad.json'), '{"nope": true}');
    expect(await run(['preview', '--from', 'bad.json'], { cwd, output: bad, env: {}, commands: [registerPreview] })).toBe(EXIT.failure);
    expect(bad.stderr).toMatch(/^bad\.json: not a `pulumi preview --json` document/);
    expect(await run(['preview', '--from', 'missing.json'], { cwd, output: memorySink(), env: {}, commands: [registerPreview] })).toBe(EXIT.failure);
  });
});

// ---------------------------------------------------------------------------------------------------
// The workflows

type Workflow = {
  on: Record<string, any>;
  permissions?: Record<string, string>;
  concurrency?: Record<string, unknown>;
  jobs: Record<string, { 'runs-on': string; needs?: string | string[]; environment?: string | { name: string }; permissions?: Record<string, string>; concurrency?: { group: string; 'cancel-in-progress'?: boolean }; steps: { uses?: string; run?: string; with?: Record<string, unknown>; if?: string; id?: string }[] }>;
};
const workflow = (name: string) => parseYaml(readFileSync(join(ROOT, '.github', 'workflows', name), 'utf8')) as Workflow;
const runs = (steps: Workflow['jobs'][string]['steps']) => steps.map((s) => s.run ?? '').join('\n');
const uses = (steps: Workflow['jobs'][string]['steps'], action: string) => steps.find((s) => s.uses?.startsWith(`${action}@`));

describe('.github/workflows/preview.yml', () => {
  const wf = workflow('preview.yml');
  const job = Object.values(wf.jobs)[0]!;

  it('runs on pull requests with just the permissions it needs', () => {
    expect(wf.on).toHaveProperty('pull_request');
    expect(wf.permissions).toEqual({ contents: 'read', 'pull-requests': 'write', 'id-token': 'write' });
  });

  it('checks out, sets up Node 20 with the npm cache, installs, validates and diffs offline, then previews', () => {
    expect(uses(job.steps, 'actions/checkout')).toBeDefined();
    expect(uses(job.steps, 'actions/setup-node')!.with).toMatchObject({ 'node-version': 20, cache: 'npm' });
    const script = runs(job.steps);
    const order = ['npm ci', 'npx slipway validate', 'npx slipway plan --diff origin/${{ github.base_ref }}', 'npx slipway preview'];
    const at = order.map((s) => script.indexOf(s));
    expect(at.every((i) => i >= 0), JSON.stringify(at)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(script).toContain('--markdown preview.md');
  });

  it('gets cloud credentials through OIDC only when they are configured', () => {
    const aws = uses(job.steps, 'aws-actions/configure-aws-credentials')!;
    expect(aws.with).toHaveProperty('role-to-assume');
    expect(aws.if).toMatch(/vars\./);
  });

  it('posts or updates one sticky comment found by the marker', () => {
    const step = uses(job.steps, 'actions/github-script')!;
    const script = String(step.with?.script);
    expect(script).toContain(PREVIEW_MARKER);
    expect(script).toContain('updateComment');
    expect(script).toContain('createComment');
  });
});

describe('.github/workflows/deploy.yml', () => {
  const wf = workflow('deploy.yml');

  it('runs on pushes to main', () => {
    expect(wf.on.push.branches).toEqual(['main']);
  });

  it('builds once and hands the same artifact to dev, then staging', () => {
    const build = wf.jobs.build!;
    expect(runs(build.steps)).toContain('npx slipway build app --json');
    expect(wf.jobs.dev!.needs).toEqual(expect.arrayContaining(['build']));
    expect(runs(wf.jobs.dev!.steps)).toMatch(/npx slipway deploy --stack dev --artifact "?\$\{\{ needs\.build\.outputs\.artifact \}\}/);
    expect(([] as string[]).concat(wf.jobs.staging!.needs ?? [])).toEqual(expect.arrayContaining(['build', 'dev']));
    expect(runs(wf.jobs.staging!.steps)).toMatch(/npx slipway deploy --stack staging --artifact "?\$\{\{ needs\.build\.outputs\.artifact \}\}/);
    expect(runs(wf.jobs.staging!.steps)).not.toContain('slipway build');
  });

  it('promotes the exact digest to prod behind the production environment', () => {
    const prod = wf.jobs.prod!;
    expect(([] as string[]).concat(prod.needs ?? [])).toContain('staging');
    expect(typeof prod.environment === 'string' ? prod.environment : prod.environment?.name).toBe('production');
    expect(runs(prod.steps)).toContain('npx slipway promote --from staging --to prod');
    expect(runs(prod.steps)).not.toContain('slipway build');
  });

  it('never lets two runs touch one stack at once', () => {
    for (const stack of ['dev', 'staging', 'prod']) {
      const c = wf.jobs[stack]!.concurrency!;
      expect(c.group, stack).toContain(stack);
      expect(c['cancel-in-progress'], stack).toBe(false);
    }
    const groups = ['dev', 'staging', 'prod'].map((s) => wf.jobs[s]!.concurrency!.group);
    expect(new Set(groups).size).toBe(3);
  });

  it('asks for OIDC tokens and nothing broader than it uses', () => {
    expect(wf.permissions).toMatchObject({ contents: 'read', 'id-token': 'write' });
  });
});
