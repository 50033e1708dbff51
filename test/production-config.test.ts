// The production-grade keys of a stack file — slipway:domain, the scaling fields of slipway:capacity,
// slipway:logs.kmsKeyArn — refused with one line each that names the key, and validate's warnings.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../pipeline/cli/main';
import { memorySink } from '../pipeline/cli/output';
import { regionOfArn } from '../stacks/arns';
import { dnsNameProblem } from '../stacks/domain';
import { loadStackFile } from '../stacks/load';
import { show } from '../stacks/show';
import { validateStackConfig } from '../stacks/validate';
import { stackWarnings } from '../stacks/warnings';
import { ROOT, rawStack } from './mocks';

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/** Every error line for prod (or `stack`) with `edit` applied to its raw configuration. */
const check = (edit: (raw: Record<string, any>) => void, stack = 'prod') => {
  const raw = rawStack(stack);
  edit(raw);
  const r = validateStackConfig(raw, { stack, file: `stacks/Pulumi.${stack}.yaml` });
  return r.ok ? [] : r.errors;
};
const F = 'stacks/Pulumi.prod.yaml: slipway:';
const withDomain = (domain: unknown) => (r: Record<string, any>) => void (r['slipway:domain'] = domain);
const withCapacity = (fields: Record<string, unknown>) => (r: Record<string, any>) => {
  r['slipway:capacity'] = { cpu: 1024, memory: 2048, desiredCount: 3, ...fields };
};

describe('shipped stacks', () => {
  it('prod and staging serve HTTPS on a name in the example zone and scale their live slot on CPU', () => {
    for (const [stack, name] of [['prod', 'shop.example.com'], ['staging', 'staging.shop.example.com']] as const) {
      const r = loadStackFile(stack, ROOT);
      if (!r.ok || r.config.target !== 'aws') throw new Error(`${stack} does not validate`);
      expect(r.config.domain).toEqual({ name, zoneId: 'ZEXAMPLE0123456789' });
      expect(r.config.capacity).toMatchObject({ min: r.config.capacity.desiredCount, cpuPercent: 60 });
      expect(stackWarnings(r.config)).toEqual([]);
    }
  });
});

describe('slipway:domain', () => {
  it('takes a name with exactly one of zoneId and certificateArn', () => {
    expect(check(withDomain({ name: 'shop.example.com', zoneId: 'Z0123456789ABCDEFGHIJ' }))).toEqual([]);
    expect(check(withDomain({ name: 'shop.example.com', certificateArn: CERT }))).toEqual([]);
    expect(check(withDomain({ name: 'shop.example.com', zoneId: 'Z1', certificateArn: CERT }))).toEqual([
      `${F}domain.certificateArn: give zoneId (Slipway requests the certificate) or certificateArn (your certificate), not both`,
    ]);
    expect(check(withDomain({ name: 'shop.example.com' }))).toEqual([
      `${F}domain.zoneId: missing; give zoneId (Slipway requests and validates a certificate in that Route 53 zone) or certificateArn (a certificate you have)`,
    ]);
    expect(check(withDomain({ zoneId: 'Z1' }))).toEqual([`${F}domain.name: missing (required)`]);
    expect(check(withDomain('shop.example.com'))).toEqual([
      `${F}domain: "shop.example.com" is a string, expected a mapping (keys: name, zoneId, certificateArn)`,
    ]);
    expect(check(withDomain({ name: 'shop.example.com', zoneId: 'Z1', ttl: 60 }))).toEqual([
      `${F}domain.ttl: unknown key (allowed: name, zoneId, certificateArn)`,
    ]);
  });

  it.each([
    ['z0123', '"z0123" is not a Route 53 hosted zone id (Z and 1-31 upper-case letters or digits)'],
    ['Z', '"Z" is not a Route 53 hosted zone id (Z and 1-31 upper-case letters or digits)'],
    [`Z${'A'.repeat(32)}`, `"Z${'A'.repeat(32)}" is not a Route 53 hosted zone id (Z and 1-31 upper-case letters or digits)`],
    ['/hostedzone/Z123', '"/hostedzone/Z123" is not a Route 53 hosted zone id (Z and 1-31 upper-case letters or digits)'],
  ])('refuses the zone id %j', (zoneId, message) => {
    expect(check(withDomain({ name: 'shop.example.com', zoneId }))).toEqual([`${F}domain.zoneId: ${message}`]);
  });

  it.each([
    'arn:aws:acm:us-east-1:123456789012:certificate/not-a-uuid',
    'arn:aws:acm:us-east-1:12345:certificate/12345678-1234-1234-1234-123456789012',
    'arn:aws:iam::123456789012:server-certificate/shop',
    'arn:aws:acm:useast1:123456789012:certificate/12345678-1234-1234-1234-123456789012',
  ])('refuses the certificate ARN %j', (certificateArn) => {
    expect(check(withDomain({ name: 'shop.example.com', certificateArn }))).toEqual([
      `${F}domain.certificateArn: ${show(certificateArn)} is not an ACM certificate ARN (arn:aws:acm:<region>:<12-digit account>:certificate/<uuid>)`,
    ]);
  });

  it('refuses a certificate from another region than the stack deploys to', () => {
    const other = CERT.replace('us-east-1', 'eu-west-1');
    expect(check(withDomain({ name: 'shop.example.com', certificateArn: other }))).toEqual([
      `${F}domain.certificateArn: the certificate is in eu-west-1 but the stack deploys to us-east-1 (aws:region); it must be in the same region`,
    ]);
    expect(regionOfArn('arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012')).toBe('us-gov-west-1');
  });

  it.each([
    ['localhost', '"localhost" is not a fully qualified DNS name (e.g. shop.example.com)'],
    ['shop.example.com.', '"shop.example.com." ends with a dot; write the name without it'],
    ['Shop.Example.com', '"Shop.Example.com" is not a DNS name: labels of lower-case letters, digits and hyphens, not starting or ending with a hyphen'],
    ['shop_1.example.com', '"shop_1.example.com" is not a DNS name: labels of lower-case letters, digits and hyphens, not starting or ending with a hyphen'],
    ['-shop.example.com', '"-shop.example.com" is not a DNS name: labels of lower-case letters, digits and hyphens, not starting or ending with a hyphen'],
    ['*.example.com', '"*.example.com" is not a DNS name: labels of lower-case letters, digits and hyphens, not starting or ending with a hyphen'],
    ['shop..example.com', '"shop..example.com" has an empty label (two dots in a row, or a leading dot)'],
    ['10.0.0.1', '"10.0.0.1" ends in a numeric label: an IP address is not a DNS name'],
    [`${'a'.repeat(64)}.example.com`, `${show(`${'a'.repeat(64)}.example.com`)} has a label longer than 63 characters`],
  ])('refuses the name %j', (name, message) => {
    expect(check(withDomain({ name, certificateArn: CERT }))).toEqual([`${F}domain.name: ${message}`]);
  });

  it('keeps DNS names within 253 characters, and a certificate Slipway requests within ACM\'s 64', () => {
    const long = `${Array.from({ length: 4 }, () => 'a'.repeat(63)).join('.')}.com`;
    expect(dnsNameProblem(long)).toBe(`"${long.slice(0, 78)}… is longer than 253 characters (the limit for a DNS name)`);
    const name = `${'a'.repeat(60)}.example.com`;
    expect(check(withDomain({ name, certificateArn: CERT }))).toEqual([]);
    expect(check(withDomain({ name, zoneId: 'Z1' }))).toEqual([
      `${F}domain.name: "${name}" is 72 characters; ACM requests a certificate for at most 64 (bring your own with certificateArn)`,
    ]);
  });

  it('with a domain, the test listener may not take 443', () => {
    expect(check((r) => {
      r['slipway:domain'] = { name: 'shop.example.com', zoneId: 'Z1' };
      r['slipway:network'].testListenerPort = 443;
    })).toEqual([`${F}network.testListenerPort: 443 is the HTTPS production listener port when slipway:domain is set`]);
    expect(check((r) => {
      delete r['slipway:domain'];
      r['slipway:network'].testListenerPort = 443;
    })).toEqual([]);
  });

  it('is refused on a Docker stack, naming the key', () => {
    expect(check((r) => (r['slipway:domain'] = { name: 'shop.example.com', zoneId: 'Z1' }), 'local')).toEqual([
      'stacks/Pulumi.local.yaml: slipway:domain: not allowed when target is docker (HTTPS and a domain are AWS only; the local router serves plain HTTP on 127.0.0.1)',
    ]);
  });
});

describe('slipway:capacity scaling', () => {
  it('takes min, max and one target, within desiredCount', () => {
    expect(check(withCapacity({ min: 2, max: 10, cpuPercent: 70 }))).toEqual([]);
    expect(check(withCapacity({ max: 3, requestsPerTarget: 1 }))).toEqual([]);
    expect(check(withCapacity({}))).toEqual([]);
  });

  it.each([
    [{ max: 10, cpuPercent: 70, requestsPerTarget: 500 }, 'capacity.requestsPerTarget: give one scaling target, cpuPercent or requestsPerTarget, not both'],
    [{ cpuPercent: 70 }, 'capacity.max: missing; scaling on cpuPercent needs max, the most tasks the live slot may run'],
    [{ requestsPerTarget: 500 }, 'capacity.max: missing; scaling on requestsPerTarget needs max, the most tasks the live slot may run'],
    [{ min: 2 }, 'capacity.min: 2 is set without a scaling target: give cpuPercent or requestsPerTarget too (or drop min)'],
    [{ max: 10 }, 'capacity.max: 10 is set without a scaling target: give cpuPercent or requestsPerTarget too (or drop max)'],
    [{ min: 4, max: 10, cpuPercent: 70 }, 'capacity.min: 4 is above desiredCount (3); a slot starts at desiredCount, so min may not exceed it'],
    [{ max: 2, cpuPercent: 70 }, 'capacity.max: 2 is below desiredCount (3)'],
    [{ max: 10, cpuPercent: 0 }, 'capacity.cpuPercent: 0 is below the minimum 1'],
    [{ max: 10, cpuPercent: 101 }, 'capacity.cpuPercent: 101 is above the maximum 100'],
    [{ max: 10, cpuPercent: 60.5 }, 'capacity.cpuPercent: 60.5 is not a whole number (1 to 100)'],
    [{ max: 10, requestsPerTarget: 0 }, 'capacity.requestsPerTarget: 0 is below the minimum 1'],
    [{ min: 0, max: 10, cpuPercent: 70 }, 'capacity.min: 0 is below the minimum 1'],
    [{ max: 1001, cpuPercent: 70 }, 'capacity.max: 1001 is above the maximum 1000'],
    [{ max: '10', cpuPercent: 70 }, 'capacity.max: "10" is a string, expected a whole number from 1 to 1000'],
  ])('%j → one line naming the field', (fields, line) => {
    expect(check(withCapacity(fields))).toEqual([`${F}${line}`]);
  });

  it('are AWS keys: a Docker stack refuses them', () => {
    expect(check((r) => (r['slipway:capacity'].max = 4), 'local')).toEqual([
      'stacks/Pulumi.local.yaml: slipway:capacity.max: unknown key (allowed: memoryMb)',
    ]);
  });
});

describe('slipway:logs.kmsKeyArn', () => {
  it('takes the ARN of a key (or a multi-Region key) in the stack\'s region', () => {
    expect(check((r) => (r['slipway:logs'].kmsKeyArn = KEY))).toEqual([]);
    expect(check((r) => (r['slipway:logs'].kmsKeyArn = `arn:aws:kms:us-east-1:123456789012:key/mrk-${'0'.repeat(32)}`))).toEqual([]);
  });

  it.each([
    'arn:aws:kms:us-east-1:123456789012:alias/logs',
    '1234abcd-12ab-34cd-56ef-1234567890ab',
    'arn:aws:acm:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  ])('refuses %j', (arn) => {
    expect(check((r) => (r['slipway:logs'].kmsKeyArn = arn))).toEqual([
      `${F}logs.kmsKeyArn: "${arn}" is not a KMS key ARN (arn:aws:kms:<region>:<12-digit account>:key/<key id>; an alias will not do)`,
    ]);
  });

  it('refuses a key of another region', () => {
    expect(check((r) => (r['slipway:logs'].kmsKeyArn = KEY.replace('us-east-1', 'us-west-2')))).toEqual([
      `${F}logs.kmsKeyArn: the KMS key is in us-west-2 but the stack deploys to us-east-1 (aws:region); it must be in the same region`,
    ]);
  });
});

describe('slipway validate warnings', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('warns (exit 0) when a manual-approval stack has no domain, and only then', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'slipway-warn-'));
    dirs.push(cwd);
    cpSync(join(ROOT, 'stacks'), join(cwd, 'stacks'), { recursive: true });
    const file = join(cwd, 'stacks', 'Pulumi.prod.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^ {2}slipway:domain:\n( {4}.*\n)+/m, ''));
    const output = memorySink();
    expect(await run(['validate'], { cwd, output, env: {} })).toBe(0);
    expect(output.stdout.split('\n')).toContain('ok stacks/Pulumi.prod.yaml');
    expect(output.stderr).toBe(
      'warning: stacks/Pulumi.prod.yaml: slipway:domain: not set on a stack with promotion.approval manual (production): it serves plain HTTP on port 80; set a domain for HTTPS\n',
    );
  });
});
