// The provider doubles' pure parts: the docker double's diff rules and checks, its docker CLI argument
// lists, tar stream and inspect-to-outputs mapping; the aws double's ID and ARN shapes, diff and
// invokes; and that both cover every resource type and input the program plans. No Docker, no engine.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type * as Proto from '@pulumi/pulumi/proto/provider_pb.js';
import { awsProvider } from './providers/aws/provider';
import { autoName, AWS_TYPES, invokeResult, zoneIdPrefix } from './providers/aws/resources';
import { lockedVersion, parseUrn, UNKNOWN } from './providers/common';
import {
  containerCreateArgs,
  containerOutputs,
  containerUpdateArgs,
  networkConnectArgs,
  networkCreateArgs,
  repoDigestOf,
  uploadArchive,
  type ContainerInspect,
} from './providers/docker/commands';
import { checkInputs, CONTAINER, diffInputs, NETWORK, REMOTE_IMAGE, TYPES, type ContainerInputs } from './providers/docker/schema';
import { diffResponse } from './providers/serve';
import { DIGEST_A, DIGEST_B, plan } from './mocks';

const urn = (type: string, name: string) => `urn:pulumi:prod::slipway::slipway:aws:Environment$${type}::${name}`;

const CONTAINER_STATE: ContainerInputs & Record<string, unknown> = {
  id: 'c1',
  name: 'shop-local-blue',
  image: DIGEST_A,
  envs: ['PORT=8080', 'APP_VERSION=1.0.0', 'SLOT=blue'],
  memory: 256,
  restart: 'unless-stopped',
  networksAdvanced: [{ name: 'shop-local', aliases: ['blue'] }],
  labels: [
    { label: 'app', value: 'shop' },
    { label: 'slot', value: 'blue' },
  ],
  mustRun: true,
};
const inputsOf = (state: Record<string, unknown>) => {
  const { id: _id, mustRun: _mustRun, ...inputs } = state;
  return inputs;
};

describe('docker double: diff', () => {
  it('an env change replaces the container, deleting it first (its name is fixed)', () => {
    const d = diffInputs(CONTAINER, CONTAINER_STATE, { ...inputsOf(CONTAINER_STATE), envs: ['PORT=8080', 'APP_VERSION=1.1.0', 'SLOT=blue'] });
    expect(d).toMatchObject({ changes: true, replaces: ['envs'], deleteBeforeReplace: true, detailedDiff: { envs: 'update-replace' } });
  });

  it('restart and memory update in place', () => {
    const d = diffInputs(CONTAINER, CONTAINER_STATE, { ...inputsOf(CONTAINER_STATE), restart: 'always', memory: 512 });
    expect(d).toMatchObject({ changes: true, replaces: [], deleteBeforeReplace: false, detailedDiff: { restart: 'update', memory: 'update' } });
  });

  it('every other input the program sets forces a replacement', () => {
    const changes: Record<string, unknown> = {
      name: 'other',
      image: DIGEST_B,
      labels: [{ label: 'app', value: 'other' }],
      networksAdvanced: [{ name: 'shop-local', aliases: ['green'] }],
      ports: [{ internal: 80, external: 8080 }],
      uploads: [{ file: '/etc/x', content: 'y' }],
    };
    for (const [key, value] of Object.entries(changes)) {
      const d = diffInputs(CONTAINER, CONTAINER_STATE, { ...inputsOf(CONTAINER_STATE), [key]: value });
      expect(d.replaces, key).toEqual([key]);
    }
  });

  it('sets ignore order; absent env and labels keep what the container has; defaults fill absent values', () => {
    const reordered = {
      ...inputsOf(CONTAINER_STATE),
      envs: [...CONTAINER_STATE.envs!].reverse(),
      labels: [...CONTAINER_STATE.labels!].reverse(),
      networksAdvanced: [{ aliases: ['blue'], name: 'shop-local' }],
    };
    expect(diffInputs(CONTAINER, CONTAINER_STATE, reordered).changes).toBe(false);
    const { envs: _e, labels: _l, ...withoutSets } = inputsOf(CONTAINER_STATE);
    expect(diffInputs(CONTAINER, CONTAINER_STATE, withoutSets).changes).toBe(false);
    const bare = { name: 'x', image: DIGEST_A };
    expect(diffInputs(CONTAINER, { ...bare, memory: 0, restart: 'no', mustRun: true }, bare).changes).toBe(false);
    const port = { internal: 80, external: 8081 };
    expect(diffInputs(CONTAINER, { ...bare, ports: [{ ...port, ip: '0.0.0.0', protocol: 'tcp' }] }, { ...bare, ports: [port] }).changes).toBe(false);
  });

  it('an image unknown during preview (its RemoteImage is being replaced) previews as a replacement', () => {
    expect(diffInputs(CONTAINER, CONTAINER_STATE, { ...inputsOf(CONTAINER_STATE), image: UNKNOWN }).detailedDiff).toEqual({ image: 'update-replace' });
  });

  it('a container read as stopped (mustRun false) shows an update that starts it', () => {
    expect(diffInputs(CONTAINER, { ...CONTAINER_STATE, mustRun: false }, inputsOf(CONTAINER_STATE)).detailedDiff).toEqual({ mustRun: 'update' });
  });

  it('networks replace on any change, deleting first; images replace on name (create first), update keepLocally', () => {
    const net = { name: 'shop-local', driver: 'bridge', labels: [{ label: 'app', value: 'shop' }] };
    expect(diffInputs(NETWORK, net, { ...net, labels: [] })).toMatchObject({ replaces: ['labels'], deleteBeforeReplace: true });
    expect(diffInputs(NETWORK, { ...net, driver: 'bridge' }, { name: net.name, labels: net.labels }).changes).toBe(false);
    const img = { name: 'nginx:1.27', keepLocally: true, imageId: DIGEST_A };
    expect(diffInputs(REMOTE_IMAGE, img, { name: 'nginx:1.28', keepLocally: true })).toMatchObject({ replaces: ['name'], deleteBeforeReplace: false });
    expect(diffInputs(REMOTE_IMAGE, img, { name: 'nginx:1.27' }).detailedDiff).toEqual({ keepLocally: 'update' }); // absent: false
  });
});

describe('docker double: check', () => {
  it('names the missing or invalid property', () => {
    expect(checkInputs(CONTAINER, { image: DIGEST_A })).toEqual([{ property: 'name', reason: 'name is required: a non-empty string' }]);
    expect(checkInputs(CONTAINER, { name: '-x' }).map((f) => f.property)).toEqual(['image', 'name']);
    expect(checkInputs(NETWORK, {}).map((f) => f.property)).toEqual(['name']);
    expect(checkInputs(REMOTE_IMAGE, { keepLocally: 'yes' }).map((f) => f.property)).toEqual(['name', 'keepLocally']);
    const bad = { name: 'app', image: DIGEST_A, restart: 'sometimes', memory: -1, ports: [{ external: 8080 }], uploads: [{ file: 'rel', content: '' }] };
    expect(checkInputs(CONTAINER, bad).map((f) => f.property)).toEqual(['memory', 'restart', 'ports[0].internal', 'uploads[0].file']);
  });

  it('rejects inputs the double does not implement, and types it does not know', () => {
    expect(checkInputs(CONTAINER, { name: 'app', image: DIGEST_A, command: ['sh'] })).toEqual([
      { property: 'command', reason: 'not implemented by the docker test double (test/providers/docker)' },
    ]);
    expect(checkInputs('docker:index/volume:Volume', {})[0]?.reason).toMatch(/does not implement docker:index\/volume:Volume/);
  });

  it('accepts values unknown during preview', () => {
    expect(checkInputs(CONTAINER, { name: 'app', image: UNKNOWN, networksAdvanced: [{ name: UNKNOWN, aliases: ['blue'] }] })).toEqual([]);
  });
});

describe('docker double: commands', () => {
  it('creates a network with its driver and labels', () => {
    expect(networkCreateArgs({ name: 'shop-local', driver: 'bridge', labels: [{ label: 'app', value: 'shop' }] })).toEqual([
      'network', 'create', '--driver', 'bridge', '--label', 'app=shop', 'shop-local',
    ]);
  });

  it('creates a container on its first network; further networks are joined before the start', () => {
    const c: ContainerInputs = {
      ...CONTAINER_STATE,
      networksAdvanced: [{ name: 'a', aliases: ['blue'] }, { name: 'b', aliases: ['x', 'y'] }],
      ports: [{ internal: 80, external: 8080, ip: '127.0.0.1' }],
      uploads: [{ file: '/etc/nginx/nginx.conf', content: 'events {}' }],
    };
    const args = containerCreateArgs(c);
    expect(args.slice(0, 3)).toEqual(['create', '--name', 'shop-local-blue']);
    expect(args).toEqual(expect.arrayContaining(['--env', 'SLOT=blue', '--memory', '256m', '--restart', 'unless-stopped', '--network', 'a', '--network-alias', 'blue']));
    expect(args).toEqual(expect.arrayContaining(['--publish', '127.0.0.1:8080:80/tcp', '--label', 'slot=blue']));
    expect(args).not.toContain('b');
    expect(args.at(-1)).toBe(DIGEST_A);
    expect(networkConnectArgs(c.networksAdvanced![1]!, 'cid')).toEqual(['network', 'connect', '--alias', 'x', '--alias', 'y', 'b', 'cid']);
  });

  it('updates restart always and memory when set', () => {
    expect(containerUpdateArgs('cid', { restart: 'always', memory: 128 })).toEqual(['update', '--restart', 'always', '--memory', '128m', 'cid']);
    expect(containerUpdateArgs('cid', {})).toEqual(['update', '--restart', 'no', 'cid']);
  });

  it('packs uploads as a ustar stream: relative names, mode 0644, valid checksums, long paths split', () => {
    const long = `/${'d'.repeat(60)}/${'e'.repeat(60)}/file.conf`;
    const tar = uploadArchive([{ file: '/etc/app/conf', content: 'héllo\n' }, { file: long, content: '' }], 0);
    const field = (h: Buffer, at: number, len: number) => h.subarray(at, at + len).toString('utf8').replace(/\0.*$/s, '');
    const first = tar.subarray(0, 512);
    expect(field(first, 0, 100)).toBe('etc/app/conf');
    expect(parseInt(field(first, 100, 8), 8)).toBe(0o644);
    expect(parseInt(field(first, 124, 12), 8)).toBe(Buffer.byteLength('héllo\n'));
    expect(tar.subarray(512, 512 + 7).toString('utf8')).toBe('héllo\n');
    const sum = [...first].reduce((s, b, i) => s + (i >= 148 && i < 156 ? 32 : b), 0);
    expect(parseInt(field(first, 148, 8), 8)).toBe(sum);
    const second = tar.subarray(1024, 1536);
    expect(`${field(second, 345, 155)}/${field(second, 0, 100)}`).toBe(long.slice(1));
    expect(tar.length).toBe(512 * 5); // two headers, one data block, two end blocks
  });
});

describe('docker double: reading a container back', () => {
  const inspect = (over: Partial<ContainerInspect> = {}): ContainerInspect => ({
    Id: 'c1',
    Name: '/shop-local-blue',
    Image: DIGEST_A,
    State: { Running: true, ExitCode: 0 },
    Config: {
      Image: DIGEST_A,
      Env: ['SLOT=blue', 'PATH=/usr/bin', 'PORT=8080', 'APP_VERSION=1.0.0'],
      Labels: { slot: 'blue', 'slipway.test': 'true', app: 'shop' },
      Hostname: 'c1',
    },
    HostConfig: { Memory: 256 * 1024 * 1024, RestartPolicy: { Name: 'unless-stopped' } },
    NetworkSettings: {
      Bridge: '',
      Networks: { 'shop-local': { NetworkID: 'n1', Aliases: ['blue', 'c1'], IPAddress: '172.18.0.2', IPPrefixLen: 16, Gateway: '172.18.0.1', MacAddress: 'm' } },
    },
    ...over,
  });
  const image = { Id: DIGEST_A, RepoDigests: [], Config: { Env: ['PATH=/usr/bin'], Labels: { 'slipway.test': 'true' } } };

  it('reads back exactly what was given: the image’s own env and labels are not the container’s', () => {
    const out = containerOutputs(inspect(), image, CONTAINER_STATE);
    expect(out).toMatchObject(inputsOf(CONTAINER_STATE));
    expect(diffInputs(CONTAINER, out, inputsOf(CONTAINER_STATE)).changes).toBe(false);
    expect(out.networkDatas).toEqual([{ networkName: 'shop-local', ipAddress: '172.18.0.2', ipPrefixLength: 16, gateway: '172.18.0.1', macAddress: 'm' }]);
  });

  it('reports drift Docker shows: memory, restart, a lost alias, a stopped container', () => {
    const drifted = inspect({
      State: { Running: false, ExitCode: 137 },
      HostConfig: { Memory: 64 * 1024 * 1024, RestartPolicy: { Name: '' } },
      NetworkSettings: { Bridge: '', Networks: { 'shop-local': { NetworkID: 'n1', Aliases: ['c1'], IPAddress: '', IPPrefixLen: 0, Gateway: '', MacAddress: '' } } },
    });
    const out = containerOutputs(drifted, image, CONTAINER_STATE);
    expect(out).toMatchObject({ memory: 64, restart: 'no', mustRun: false, exitCode: 137, networksAdvanced: [{ name: 'shop-local', aliases: [] }] });
    expect(diffInputs(CONTAINER, out, inputsOf(CONTAINER_STATE)).replaces).toEqual(['networksAdvanced']);
  });

  it('an image given by reference reads back as the reference', () => {
    const out = containerOutputs(inspect({ Config: { ...inspect().Config, Image: 'nginx:1.27' } }), undefined, { ...CONTAINER_STATE, image: 'nginx:1.27' });
    expect(out.image).toBe('nginx:1.27');
  });

  it('repo digest: empty for a local-only image, else the one of the name’s repository', () => {
    expect(repoDigestOf('slipway-test/nginx:1.22.1', [])).toBe('');
    expect(repoDigestOf('nginx:1.27', ['mirror/nginx@sha256:1', 'nginx@sha256:2'])).toBe('nginx@sha256:2');
  });
});

describe('aws double', () => {
  const aws = awsProvider();
  const create = (type: string, name: string, inputs: Record<string, unknown>) => aws.create!(urn(type, name), inputs);

  it('gives IDs and ARNs in AWS’s shapes, the same for the same URN', async () => {
    const vpc = await create('aws:ec2/vpc:Vpc', 'vpc', { cidrBlock: '10.0.0.0/16' });
    expect(vpc.id).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect(vpc.outs.arn).toBe(`arn:aws:ec2:us-east-1:123456789012:vpc/${vpc.id}`);
    expect((await create('aws:ec2/vpc:Vpc', 'vpc', { cidrBlock: '10.0.0.0/16' })).id).toBe(vpc.id);
    expect((await create('aws:ec2/vpc:Vpc', 'other', {})).id).not.toBe(vpc.id);
    const shapes: [string, RegExp][] = [
      ['aws:ec2/subnet:Subnet', /^subnet-[0-9a-f]{17}$/],
      ['aws:ec2/securityGroup:SecurityGroup', /^sg-[0-9a-f]{17}$/],
      ['aws:ec2/internetGateway:InternetGateway', /^igw-[0-9a-f]{17}$/],
      ['aws:ec2/natGateway:NatGateway', /^nat-[0-9a-f]{17}$/],
      ['aws:ec2/eip:Eip', /^eipalloc-[0-9a-f]{17}$/],
      ['aws:ec2/routeTable:RouteTable', /^rtb-[0-9a-f]{17}$/],
      ['aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule', /^sgr-[0-9a-f]{17}$/],
      ['aws:iam/role:Role', /^shop-prod-exec$/],
      ['aws:ecr/repository:Repository', /^slipway\/shop-prod$/],
    ];
    for (const [type, shape] of shapes) {
      const r = await create(type, 'x', { name: type.endsWith('Role') ? 'shop-prod-exec' : 'slipway/shop-prod', vpcId: vpc.id });
      expect(r.id, type).toMatch(shape);
    }
  });

  it('load balancer, target group and listener: ARN IDs, arnSuffix and dnsName as elbv2 reports them', async () => {
    const lb = await create('aws:lb/loadBalancer:LoadBalancer', 'alb', { name: 'shop-prod' });
    expect(lb.id).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer\/app\/shop-prod\/[0-9a-f]{16}$/);
    expect(lb.outs).toMatchObject({ arn: lb.id, arnSuffix: lb.id.split(':loadbalancer/')[1] });
    expect(lb.outs.dnsName).toMatch(/^shop-prod-\d{10}\.us-east-1\.elb\.amazonaws\.com$/);
    const tg = await create('aws:lb/targetGroup:TargetGroup', 'blue', { name: 'shop-prod-blue', port: 8080 });
    expect(tg.outs.arnSuffix).toMatch(/^targetgroup\/shop-prod-blue\/[0-9a-f]{16}$/);
    const listener = await create('aws:lb/listener:Listener', 'prod', { loadBalancerArn: lb.id, defaultActions: [] });
    expect(listener.id).toMatch(/:listener\/app\/shop-prod\/[0-9a-f]{16}\/[0-9a-f]{16}$/);
  });

  it('ECR URL, autonamed names within their limits, tagsAll', async () => {
    const repo = await create('aws:ecr/repository:Repository', 'images', { name: 'slipway/shop-prod', tags: { app: 'shop' } });
    expect(repo.outs).toMatchObject({ repositoryUrl: '123456789012.dkr.ecr.us-east-1.amazonaws.com/slipway/shop-prod', tagsAll: { app: 'shop' } });
    const lb = await create('aws:lb/loadBalancer:LoadBalancer', 'a-very-long-logical-name-for-a-load-balancer', {});
    expect(String(lb.outs.name).length).toBeLessThanOrEqual(32);
    expect(autoName({ urn: 'u', name: 'x' }, 32)).toMatch(/^x-[0-9a-f]{7}$/);
  });

  it('diff: a VPC’s CIDR replaces it, tags update in place; a task definition replaces on any change but tags', async () => {
    const vpcUrn = urn('aws:ec2/vpc:Vpc', 'vpc');
    const old = { cidrBlock: '10.0.0.0/16', tags: { a: '1' } };
    expect(await aws.diff(vpcUrn, vpcUrn, {}, { ...old, cidrBlock: '10.1.0.0/16' }, old)).toMatchObject({ replaces: ['cidrBlock'], inputDiff: true });
    expect(await aws.diff(vpcUrn, vpcUrn, {}, { ...old, tags: { a: '2' } }, old)).toMatchObject({ replaces: [], detailedDiff: { tags: 'update' } });
    const td = urn('aws:ecs/taskDefinition:TaskDefinition', 'task');
    const tdOld = { family: 'f', cpu: '256', containerDefinitions: '[]' };
    expect((await aws.diff(td, td, {}, { ...tdOld, cpu: '512' }, tdOld)).replaces).toEqual(['cpu']);
    const created = await create('aws:ec2/vpc:Vpc', 'vpc', old);
    expect((await aws.diff(created.id, vpcUrn, created.outs, old)).changes).toBe(false); // no old inputs: state minus outputs
  });

  it('answers the program’s invokes for the configured region', async () => {
    const p = awsProvider();
    p.configure!({ region: 'eu-central-1' });
    const zones = await p.invoke!('aws:index/getAvailabilityZones:getAvailabilityZones', { state: 'available' });
    expect(zones.outputs).toMatchObject({ names: ['eu-central-1a', 'eu-central-1b', 'eu-central-1c'], zoneIds: ['euc1-az1', 'euc1-az2', 'euc1-az3'] });
    expect((await p.invoke!('aws:index/getRegion:getRegion', {})).outputs).toMatchObject({ name: 'eu-central-1' });
    expect(invokeResult('aws:index/getCallerIdentity:getCallerIdentity', {}, 'us-east-1')).toMatchObject({ accountId: '123456789012' });
    expect(invokeResult('aws:index/getPartition:getPartition', {}, 'us-east-1')).toMatchObject({ partition: 'aws' });
    expect(zoneIdPrefix('ap-southeast-2')).toBe('apse2');
    await expect(p.invoke!('aws:s3/getBucket:getBucket', {})).rejects.toThrow(/does not implement the function aws:s3\/getBucket/);
  });
});

describe('both doubles cover the program', () => {
  const releases = { live: 'blue', blue: { image: `shop@${DIGEST_A}`, version: '1.0.0' }, green: { image: `shop@${DIGEST_B}`, version: '2.0.0' } };

  it('every Docker resource the local stack plans passes the docker double’s check', async () => {
    const p = await plan('local', (raw) => (raw['slipway:release'] = releases));
    const docker = p.resources.filter((r) => r.type.startsWith('docker:'));
    expect(new Set(docker.map((r) => r.type))).toEqual(new Set(Object.keys(TYPES)));
    for (const r of docker) {
      // The mocks compute no imageId: the router's image is what the engine would send in a preview.
      const inputs = r.type === CONTAINER ? { ...r.inputs, image: r.inputs.image ?? UNKNOWN } : r.inputs;
      expect(checkInputs(r.type, inputs), r.name).toEqual([]);
    }
  });

  it('every AWS resource the prod stack plans is a type the aws double implements, with its required inputs', async () => {
    const p = await plan('prod', (raw) => {
      raw['slipway:release'] = releases;
      // With a secret, so the slots' Secrets Manager secrets and the role's read policy are planned too.
      raw['slipway:app'].secrets = ['DATABASE_URL'];
      raw['slipway:secret.DATABASE_URL'] = { secure: 'v1:AAAA:BBBB' };
    });
    const aws = p.resources.filter((r) => r.type.startsWith('aws:'));
    expect(new Set(aws.map((r) => r.type))).toEqual(new Set(Object.keys(AWS_TYPES)));
    const provider = awsProvider();
    for (const r of aws) expect((await provider.check!(r.urn, {}, r.inputs)).failures, r.name).toEqual([]);
  });

  it('report the versions package-lock.json installs, and parse URNs of nested resources', () => {
    expect(lockedVersion('@pulumi/docker')).toMatch(/^\d+\.\d+\.\d+/);
    expect(awsProvider().version).toBe(lockedVersion('@pulumi/aws'));
    expect(parseUrn('urn:pulumi:local::slipway::slipway:docker:Environment$docker:index/network:Network::shop-local-network')).toEqual({
      type: NETWORK,
      name: 'shop-local-network',
    });
  });
});

describe('serve: the gRPC diff answer', () => {
  it('carries the detailed diff the SDK server cannot send', () => {
    const pb = createRequire(import.meta.url)('@pulumi/pulumi/proto/provider_pb.js') as typeof Proto;
    const resp = diffResponse(pb, { changes: true, replaces: ['envs'], deleteBeforeReplace: true, detailedDiff: { envs: 'update-replace', restart: 'update' } });
    expect(resp.getHasdetaileddiff()).toBe(true);
    expect(resp.getDeletebeforereplace()).toBe(true);
    expect(resp.getDiffsList()).toEqual(['envs', 'restart']);
    expect(resp.getDetaileddiffMap().get('envs')?.getKind()).toBe(pb.PropertyDiff.Kind.UPDATE_REPLACE);
    expect(resp.getDetaileddiffMap().get('restart')?.getKind()).toBe(pb.PropertyDiff.Kind.UPDATE);
    expect(resp.getChanges()).toBe(pb.DiffResponse.DiffChanges.DIFF_SOME);
  });
});
