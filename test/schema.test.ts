import { describe, expect, it } from 'vitest';
import { listStacks, loadStackFile } from '../stacks/load';
import { validateStackConfig } from '../stacks/validate';
import { ROOT, rawStack } from './mocks';

describe('shipped stacks', () => {
  it('are the four environments and all valid', () => {
    expect(listStacks(ROOT)).toEqual(['dev', 'local', 'prod', 'staging']);
    for (const s of listStacks(ROOT)) {
      const r = loadStackFile(s, ROOT);
      expect(r.ok ? [] : r.errors).toEqual([]);
    }
  });

  it('prod requires manual approval; dev and local are automatic', () => {
    const approval = (s: string) => {
      const r = loadStackFile(s, ROOT);
      if (!r.ok) throw new Error(r.errors.join('\n'));
      return r.config.promotion.approval;
    };
    expect(approval('prod')).toBe('manual');
    expect(approval('dev')).toBe('auto');
    expect(approval('local')).toBe('auto');
  });
});

describe('validation messages', () => {
  const check = (edit: (raw: Record<string, any>) => void, stack = 'prod') => {
    const raw = rawStack(stack);
    edit(raw);
    const r = validateStackConfig(raw, { stack, file: `stacks/Pulumi.${stack}.yaml` });
    return r.ok ? [] : r.errors;
  };

  it('names the file and key of a bad Fargate cpu, listing allowed values', () => {
    expect(check((r) => (r['slipway:capacity'].cpu = 300))).toEqual([
      'stacks/Pulumi.prod.yaml: slipway:capacity.cpu: 300 is not a Fargate CPU value (256, 512, 1024, 2048, 4096, 8192, 16384)',
    ]);
  });

  it('rejects a memory size that is not valid for the cpu', () => {
    expect(check((r) => Object.assign(r['slipway:capacity'], { cpu: 256, memory: 4096 }))).toEqual([
      'stacks/Pulumi.prod.yaml: slipway:capacity.memory: 4096 is not a valid Fargate memory for cpu 256 (512, 1024, 2048)',
    ]);
  });

  it('rejects unknown keys at every level, one line each', () => {
    expect(check((r) => {
      r['slipway:colour'] = 'red';
      r['slipway:app'].smoke[0].retries = 3;
    })).toEqual([
      'stacks/Pulumi.prod.yaml: slipway:app.smoke[0].retries: unknown key (allowed: name, path, status, bodyIncludes, latencyMs)',
      'stacks/Pulumi.prod.yaml: slipway:colour: unknown key (allowed: target, app, release, promotion, tags, capacity, network, alarms, logs)',
    ]);
  });

  it('rejects keys of the other target', () => {
    expect(check((r) => (r['slipway:network'] = { vpcCidr: '10.0.0.0/16' }), 'local')).toEqual([
      'stacks/Pulumi.local.yaml: slipway:network: not allowed when target is docker (allowed: target, app, release, promotion, tags, capacity, ports, router)',
    ]);
  });

  it('requires digest-pinned images and both halves of a release', () => {
    expect(check((r) => (r['slipway:release'].green = { image: 'shop:latest', version: '1.0.0' }))).toEqual([
      'stacks/Pulumi.prod.yaml: slipway:release.green.image: "shop:latest" is not an image reference pinned by digest (repository@sha256:<64 hex>)',
    ]);
    expect(check((r) => (r['slipway:release'].green = { image: `shop@sha256:${'a'.repeat(64)}` }))).toEqual([
      'stacks/Pulumi.prod.yaml: slipway:release.green.version: missing; a slot release needs both image and version, or neither',
    ]);
  });

  it('rejects a bad live slot, target, approval and port clash', () => {
    expect(check((r) => (r['slipway:release'].live = 'red'))).toEqual(['stacks/Pulumi.prod.yaml: slipway:release.live: "red" is not a slot (blue, green)']);
    expect(check((r) => (r['slipway:target'] = 'gcp'))).toEqual(['stacks/Pulumi.prod.yaml: slipway:target: "gcp" is not a target (aws, docker)']);
    expect(check((r) => (r['slipway:promotion'] = { approval: 'manual', approvers: [] }))).toEqual([
      'stacks/Pulumi.prod.yaml: slipway:promotion.approvers: needs at least one approver when approval is "manual"',
    ]);
    expect(check((r) => (r['slipway:ports'].test = r['slipway:ports'].public), 'local')).toEqual([
      'stacks/Pulumi.local.yaml: slipway:ports.test: 8080 is the same as ports.public',
    ]);
  });

  it('checks network sizes and counts', () => {
    expect(check((r) => Object.assign(r['slipway:network'], { vpcCidr: '10.0.0.0/26' }))).toEqual([
      'stacks/Pulumi.prod.yaml: slipway:network.vpcCidr: 10.0.0.0/26 is too small for 6 subnets of /28 or more (use /25 or larger)',
    ]);
    expect(check((r) => Object.assign(r['slipway:network'], { azCount: 1 }))).toEqual([
      'stacks/Pulumi.prod.yaml: slipway:network.azCount: 1 is below the minimum 2',
      'stacks/Pulumi.prod.yaml: slipway:network.natGateways: 3 is more than azCount (1)',
    ]);
    expect(check((r) => Object.assign(r['slipway:network'], { vpcCidr: '10.0.0.1/16' }))).toEqual([
      'stacks/Pulumi.prod.yaml: slipway:network.vpcCidr: "10.0.0.1/16" has host bits set; the block starts at 10.0.0.0/16',
    ]);
  });

  it('rejects app and stack names that would overflow AWS name limits', () => {
    expect(check((r) => (r['slipway:app'].name = 'a-very-long-app'))).toEqual([
      'stacks/Pulumi.prod.yaml: slipway:app.name: "a-very-long-app" is longer than 12 characters (ALB and target group names are limited to 32)',
    ]);
    const r = validateStackConfig(rawStack('prod'), { stack: 'production-eu', file: 'stacks/Pulumi.production-eu.yaml' });
    expect(r.ok ? [] : r.errors).toEqual([
      'stacks/Pulumi.production-eu.yaml: stack: "production-eu" must be 1-10 characters of [a-z0-9-], starting with a letter, not ending with a hyphen, without "--" (it is part of AWS resource names)',
    ]);
  });

  it('refuses to let tags override the ones Slipway sets', () => {
    expect(check((r) => (r['slipway:tags'] = { environment: 'x' }))).toEqual([
      'stacks/Pulumi.prod.yaml: slipway:tags.environment: is set by Slipway itself (environment, app, managed-by, slot)',
    ]);
  });
});
