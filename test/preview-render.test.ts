// Pull-request previews, rendering: paths, URNs and types as shown, Markdown escaping, and a comment
// for 200 changed resources within GitHub's size limit.
import { describe, expect, it } from 'vitest';
import type { PreviewResult } from '../pipeline/engine/port';
import {
  code,
  DEFAULT_MAX_CHARS,
  fromEngine,
  MAX_ATTENTION_ROWS,
  MAX_GROUP_ROWS,
  MAX_PROPERTIES,
  parsePreviewDocument,
  renderMarkdown,
  riskOf,
  summarise,
  type PreviewSummary,
} from '../pipeline/review/preview';
import { parsePath, parseUrn, shortType } from '../pipeline/review/values';

const tableRows = (md: string) => md.split('\n').filter((l) => l.startsWith('|'));
/** Cells of a table row, honouring `\|` escapes. */
const cells = (row: string) => row.replace(/\\\|/g, '\u0000').split('|').slice(1, -1);


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
