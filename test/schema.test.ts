import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AWS_PROVIDER_KEYS, STACK_FILE_MAX_BYTES } from '../stacks/limits';
import { listStacks, loadStackFile, readStackConfig } from '../stacks/load';
import { clip, show } from '../stacks/show';
import { closest, editDistance, validateStackConfig } from '../stacks/validate';
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
      'stacks/Pulumi.prod.yaml: slipway:colour: unknown key (allowed: target, app, release, promotion, tags, capacity, network, alarms, logs, domain)',
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

describe('bad input in stack files', () => {
  const check = (edit: (raw: Record<string, any>) => void, stack = 'local') => {
    const raw = rawStack(stack);
    edit(raw);
    const r = validateStackConfig(raw, { stack, file: `stacks/Pulumi.${stack}.yaml` });
    return r.ok ? [] : r.errors;
  };

  it('a wrong type says what was given and what is allowed, not "missing"', () => {
    expect(check((r) => (r['slipway:app'].port = '8080'))).toEqual([
      'stacks/Pulumi.local.yaml: slipway:app.port: "8080" is a string, expected a whole number from 1 to 65535',
    ]);
    expect(check((r) => (r['slipway:capacity'].memoryMb = true))).toEqual([
      'stacks/Pulumi.local.yaml: slipway:capacity.memoryMb: true is a boolean, expected a whole number from 16 to 65536',
    ]);
    expect(check((r) => (r['slipway:capacity'] = 256))).toEqual([
      'stacks/Pulumi.local.yaml: slipway:capacity: 256 is a whole number, expected a mapping (keys: memoryMb)',
    ]);
    expect(check((r) => (r['slipway:capacity'] = 256), 'prod')).toEqual([
      'stacks/Pulumi.prod.yaml: slipway:capacity: 256 is a whole number, expected a mapping (keys: cpu, memory, desiredCount, min, max, cpuPercent, requestsPerTarget)',
    ]);
    expect(check((r) => (r['slipway:app'].smoke = '/healthz'))).toEqual([
      'stacks/Pulumi.local.yaml: slipway:app.smoke: "/healthz" is a string, expected a list of smoke checks',
    ]);
    expect(check((r) => (r['slipway:app'].name = 7))).toEqual([
      'stacks/Pulumi.local.yaml: slipway:app.name: 7 is a whole number, expected an app name (a string)',
    ]);
    expect(check((r) => (r['slipway:release'].blue = null))).toEqual([
      'stacks/Pulumi.local.yaml: slipway:release.blue: empty, expected a mapping (keys: image, version, config)',
    ]);
    expect(check((r) => (r['slipway:tags'] = ['team']))).toEqual([
      'stacks/Pulumi.local.yaml: slipway:tags: ["team"] is a list, expected a mapping of tag names to values',
    ]);
    expect(check((r) => (r['slipway:promotion'].approvers = 'alice'))).toEqual([
      'stacks/Pulumi.local.yaml: slipway:promotion.approvers: "alice" is a string, expected a list of names',
    ]);
    // A key that really is absent still says so.
    expect(check((r) => delete r['slipway:app'].port)).toEqual(['stacks/Pulumi.local.yaml: slipway:app.port: missing (required)']);
  });

  it('cuts a long value or key in an error line at 80 characters', () => {
    const errors = check((r) => {
      r['slipway:app'].name = 'x'.repeat(5_000_000);
      r[`slipway:${'k'.repeat(10_000)}`] = 1;
    });
    expect(errors).toEqual([
      `stacks/Pulumi.local.yaml: slipway:app.name: "${'x'.repeat(78)}… is longer than 12 characters (ALB and target group names are limited to 32)`,
      `stacks/Pulumi.local.yaml: slipway:${'k'.repeat(79)}…: unknown key (allowed: target, app, release, promotion, tags, capacity, ports, router)`,
    ]);
  });

  it('refuses an nginx router image (from a stack file written before the router was HAProxy), saying what to use', () => {
    for (const image of ['nginx:1.27-alpine', 'registry.example.internal/mirror/nginx:1.27', 'nginx', 'nginx@sha256:' + 'a'.repeat(64)]) {
      expect(check((r) => (r['slipway:router'] = { image }))).toEqual([
        `stacks/Pulumi.local.yaml: slipway:router.image: "${image}" is an nginx image; the router is HAProxy: use haproxy:3.2 (or a mirror of it)`,
      ]);
    }
    expect(check((r) => (r['slipway:router'] = { image: 'registry.example.internal/haproxy:3.2' }))).toEqual([]);
    expect(check((r) => (r['slipway:router'] = { image: 'example/nginx-exporter-free-haproxy:3.2' }))).toEqual([]);
  });

  it('refuses duplicate smoke check names, naming both entries', () => {
    expect(check((r) => r['slipway:app'].smoke.push({ name: 'catalogue', path: '/api/other' }, { path: '/healthz' }))).toEqual([
      'stacks/Pulumi.local.yaml: slipway:app.smoke[3]: named "catalogue" like slipway:app.smoke[2]; smoke check names must be unique (a check without a name is named by its path)',
      'stacks/Pulumi.local.yaml: slipway:app.smoke[4]: named "/healthz" like slipway:app.smoke[0]; smoke check names must be unique (a check without a name is named by its path)',
    ]);
  });

  it('refuses CIDR octets with leading zeros', () => {
    expect(check((r) => (r['slipway:network'].vpcCidr = '010.010.0.0/16'), 'prod')).toEqual([
      'stacks/Pulumi.prod.yaml: slipway:network.vpcCidr: "010.010.0.0/16" has a number with a leading zero (read as octal by some tools); write 10.10.0.0/16',
    ]);
  });

  it('refuses unknown aws: provider keys and unknown slipway: keys, suggesting the closest one', () => {
    expect(check((r) => {
      r['aws:regoin'] = 'us-east-1';
      r['aws:colour'] = 'red';
      r['slipway:aap'] = {};
    }, 'prod')).toEqual([
      'stacks/Pulumi.prod.yaml: aws:regoin: unknown AWS provider key (did you mean aws:region?)',
      'stacks/Pulumi.prod.yaml: aws:colour: unknown AWS provider key (e.g. aws:region, aws:profile, aws:allowedAccountIds; the aws provider lists them all)',
      'stacks/Pulumi.prod.yaml: slipway:aap: unknown key (did you mean app? allowed: target, app, release, promotion, tags, capacity, network, alarms, logs, domain)',
    ]);
    expect(check((r) => (r['aws:profile'] = 'ops'), 'prod')).toEqual([]);
  });

  it('knows exactly the configuration keys @pulumi/aws declares', () => {
    const vars = readFileSync(join(ROOT, 'node_modules/@pulumi/aws/config/vars.d.ts'), 'utf8');
    const declared = [...vars.matchAll(/^export declare const (\w+):/gm)].map((m) => m[1]);
    expect([...AWS_PROVIDER_KEYS].sort()).toEqual(declared.sort());
  });
});

describe('error-line helpers (pure)', () => {
  it('show quotes strings, cuts long values, and never echoes a control character', () => {
    expect(show('a')).toBe('"a"');
    expect(show(undefined)).toBe('missing');
    expect(show(Number.NaN)).toBe('NaN');
    expect(show({ a: 'b'.repeat(200) })).toBe(`{"a":"${'b'.repeat(73)}…`);
    expect(show('x'.repeat(100)).length).toBe(80);
    expect(clip('one\ntwo\u001b[31m')).toBe('one two?[31m');
  });

  it('finds the closest known key within a typo distance', () => {
    expect(editDistance('regoin', 'region')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closest('profle', ['region', 'profile'])).toBe('profile');
    expect(closest('x', ['app'])).toBeUndefined();
    expect(closest('y'.repeat(100), ['app'])).toBeUndefined();
  });
});

describe('reading stack files', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const project = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-stacks-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'stacks'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'stacks', name), text);
    return dir;
  };

  it('checks the stack name before it becomes a path', () => {
    expect(readStackConfig('../../etc/passwd', project({}))).toBe(
      'stack name: "../../etc/passwd" must be 1-10 characters of [a-z0-9-], starting with a letter, not ending with a hyphen, without "--" (it is part of AWS resource names)',
    );
  });

  it('refuses a file over 1 MiB before reading it', () => {
    const dir = project({ 'Pulumi.big.yaml': `# ${'x'.repeat(STACK_FILE_MAX_BYTES)}\nconfig: {}\n` });
    expect(readStackConfig('big', dir)).toBe('stacks/Pulumi.big.yaml: 1.0 MiB is over the 1 MiB limit for a stack file');
  });

  it('names a duplicate key and its line', () => {
    const dir = project({ 'Pulumi.dup.yaml': 'config:\n  slipway:target: docker\n  slipway:app: {}\n  slipway:target: aws\n' });
    expect(readStackConfig('dup', dir)).toBe('stacks/Pulumi.dup.yaml: line 4: duplicate key "slipway:target" (each key may appear once in a mapping)');
  });

  it('validates a 50,000-key stack file (linear, not quadratic)', () => {
    const raw = rawStack('local');
    for (let i = 0; i < 50_000; i++) raw['slipway:tags'][`k${i}`] = 'v';
    const lines = Object.entries(raw['slipway:tags'] as Record<string, string>).map(([k, v]) => `    ${k}: ${v}`);
    const { 'slipway:tags': _tags, ...rest } = raw;
    const text = `config:\n  slipway:tags:\n${lines.join('\n')}\n${Object.entries(rest).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`).join('\n')}\n`;
    expect(text.length).toBeLessThan(STACK_FILE_MAX_BYTES);
    const dir = project({ 'Pulumi.local.yaml': text });
    const r = loadStackFile('local', dir);
    expect(r.ok ? Object.keys(r.config.tags).length : r.errors).toBe(50_002);
  });
});
