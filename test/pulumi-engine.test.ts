// The Automation API adapter's own logic: backend defaults, event mapping, and the missing-CLI path.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as auto from '@pulumi/pulumi/automation';
import { describe, expect, it } from 'vitest';
import type { EngineEvent, PreviewStep } from '../pipeline/engine/port';
import { EngineFailed, exitCodeFor, UserError } from '../pipeline/cli/errors';
import { driftOf } from '../pipeline/review/drift';
import { collect, createPulumiEngine, engineEnv, engineErrorLine, hasLanguageHost, localCliDir, resolvePulumiCli, sdkVersion } from '../pipeline/engine/automation';
import { inlineProgram, projectOf } from '../pipeline/engine/program';
import { ROOT } from './mocks';

describe('engineEnv', () => {
  it('gives a Docker stack a file backend inside the project and an empty passphrase', () => {
    expect(engineEnv('/p', 'docker', {})).toEqual({ PULUMI_BACKEND_URL: 'file:///p/.slipway/state', PULUMI_CONFIG_PASSPHRASE: '' });
  });

  it('respects PULUMI_BACKEND_URL and an existing passphrase, and leaves AWS stacks to the login', () => {
    expect(engineEnv('/p', 'docker', { PULUMI_BACKEND_URL: 's3://bucket' })).toEqual({});
    expect(engineEnv('/p', 'docker', { PULUMI_CONFIG_PASSPHRASE: 'x' })).toEqual({ PULUMI_BACKEND_URL: 'file:///p/.slipway/state' });
    expect(engineEnv('/p', 'aws', {})).toEqual({});
  });
});

describe('collect (engine events → port events and preview steps)', () => {
  const events = readFileSync(join(ROOT, 'test/fixtures/pulumi/events-up-securitygroup-update.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as auto.EngineEvent);

  it('maps a real CLI event log', () => {
    const out: EngineEvent[] = [];
    const steps: PreviewStep[] = [];
    for (const e of events) collect(e, steps, (ev) => out.push(ev));
    expect(out.filter((e) => e.kind === 'resource' && e.status === 'started').length).toBe(6);
    expect(out.at(-1)).toEqual({ kind: 'summary', changes: { same: 5, update: 1 } });
    // Only the changed resource becomes a step, with its detailed diff paths.
    expect(steps).toHaveLength(1);
    expect(steps[0]!.type).toBe('aws:ec2/securityGroup:SecurityGroup');
    expect(steps[0]!.op).toBe('update');
    expect(steps[0]!.diff['ingress[1].fromPort']).toBe('add');
    expect(Object.keys(steps[0]!.diff)).not.toContain('ingress');
    expect(steps[0]!.old?.inputs).toBeDefined();
  });

  it("takes a refresh's findings from its outputs events (a real `refresh --preview-only` log of the local stack)", () => {
    // Recorded on the engine built here: the green slot container removed with `docker rm -f`, the blue
    // one given more memory with `docker update`, then a refresh in preview mode.
    const log = readFileSync(join(ROOT, 'test/fixtures/pulumi/events-refresh-drift.jsonl'), 'utf8').trim().split('\n');
    const steps: PreviewStep[] = [];
    for (const line of log) collect(JSON.parse(line) as auto.EngineEvent, steps);
    expect(steps.map((s) => `${s.op} ${s.urn.split('::').pop()}`).sort()).toEqual(['delete e2e-dbg2-green-container', 'update e2e-dbg2-blue-container']);
    const drifted = driftOf(steps);
    expect(drifted.find((d) => d.name === 'e2e-dbg2-green-container')).toMatchObject({ kind: 'deleted' });
    expect(drifted.find((d) => d.name === 'e2e-dbg2-blue-container')?.properties).toEqual([{ path: 'memory', kind: 'update', before: 256, after: 300 }]);
  });

  it('maps diagnostics by severity', () => {
    const out: EngineEvent[] = [];
    collect({ sequence: 1, timestamp: 1, diagnosticEvent: { severity: 'error', message: ' boom \n', color: 'never', urn: 'urn:x' } } as auto.EngineEvent, [], (e) => out.push(e));
    expect(out).toEqual([{ kind: 'diagnostic', severity: 'error', message: 'boom', urn: 'urn:x' }]);
  });
});

describe('the Pulumi CLI', () => {
  it('is installed by the Automation API installer, pinned to the SDK version, into the project', async () => {
    let asked: string | undefined;
    const cli = { command: 'pulumi' } as unknown as auto.PulumiCommand;
    const got = await resolvePulumiCli('/proj', { find: async () => undefined, install: async (dir) => ((asked = dir), cli) });
    expect(got).toBe(cli);
    expect(asked).toBe(localCliDir('/proj'));
    expect(sdkVersion()).toMatch(/^3\.\d+\.\d+/);
  });

  it('prefers a CLI already on PATH or in the project, never downloading then', async () => {
    const cli = { command: 'pulumi' } as unknown as auto.PulumiCommand;
    const got = await resolvePulumiCli('/proj', { find: async () => cli, install: async () => { throw new Error('must not download'); } });
    expect(got).toBe(cli);
  });

  it('selects each stack once per process, however often a command asks', async () => {
    const never = new Promise<auto.PulumiCommand>(() => {});
    const engine = createPulumiEngine({ root: '/proj', resolveCli: () => never });
    expect(engine.selectStack('local')).toBe(engine.selectStack('local'));
    expect(engine.selectStack('dev')).not.toBe(engine.selectStack('local'));
  });

  it('offline: one clear error saying how to install it, and nothing changed', async () => {
    const root = mkdtempSync(join(tmpdir(), 'slipway-cli-'));
    try {
      const offline = async () => { throw new Error('Failed to download https://get.pulumi.com/install.sh: fetch failed'); };
      const engine = createPulumiEngine({ root, resolveCli: (r) => resolvePulumiCli(r, { find: async () => undefined, install: offline }) });
      const err = await engine.selectStack('local').catch((e) => e);
      expect(err).toBeInstanceOf(UserError);
      expect(err.problems).toHaveLength(1);
      expect(err.message).toMatch(/^the Pulumi CLI is not on PATH and could not be installed into .*\.slipway\/pulumi \(Failed to download .*fetch failed\); install it \(see https:\/\/www\.pulumi\.com\/docs\/iac\/download-install\/\) and re-run — nothing was changed$/);
      expect(existsSync(join(root, '.slipway', 'state'))).toBe(false);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('inline program (a CLI without the Node.js language host)', () => {
  it('finds the language host beside the CLI or on PATH', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-lh-'));
    try {
      mkdirSync(join(dir, 'cli'));
      mkdirSync(join(dir, 'path'));
      expect(hasLanguageHost(join(dir, 'cli', 'pulumi'), { PATH: join(dir, 'path') })).toBe(false);
      writeFileSync(join(dir, 'path', 'pulumi-language-nodejs'), '');
      expect(hasLanguageHost(join(dir, 'cli', 'pulumi'), { PATH: join(dir, 'path') })).toBe(true);
      expect(hasLanguageHost(join(dir, 'path', 'pulumi'), { PATH: '' })).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs the entry Pulumi.yaml names afresh on every run, as the CLI does in a new process', async () => {
    expect(projectOf(ROOT)).toEqual({ name: 'slipway', main: 'index.ts' });
    const dir = mkdtempSync(join(tmpdir(), 'slipway-inline-'));
    try {
      writeFileSync(join(dir, 'Pulumi.yaml'), 'name: demo\nmain: prog.mjs\nruntime: nodejs\n');
      // Module-level state starts over each run: the top level runs again, then the default export.
      writeFileSync(join(dir, 'prog.mjs'), 'let n = 0;\nn++;\nexport default () => ({ runs: ++n });\n');
      const program = inlineProgram(dir);
      expect(await program()).toEqual({ runs: 2 });
      expect(await program()).toEqual({ runs: 2 });
      writeFileSync(join(dir, 'Pulumi.yaml'), 'name: demo\nmain: named.mjs\n');
      writeFileSync(join(dir, 'named.mjs'), 'export const url = "http://x";\n');
      expect(await inlineProgram(dir)()).toEqual({ url: 'http://x' });
      writeFileSync(join(dir, 'Pulumi.yaml'), 'name: demo\nmain: gone.mjs\n');
      expect(() => inlineProgram(dir)).toThrow(`Pulumi.yaml: main: gone.mjs: no such file in ${dir}`);
      writeFileSync(join(dir, 'Pulumi.yaml'), 'runtime: nodejs\n');
      expect(() => projectOf(dir)).toThrow(/Pulumi.yaml: name: missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a failed engine operation', () => {
  it('is one line from the CLI output, the provider’s own error, and exit 1', () => {
    const message = [
      'code: -2',
      ' stdout: ',
      ' stderr: Command failed with exit code 1: pulumi up --yes --skip-preview --stack local --non-interactive',
      'Updating (local):',
      ' +  docker:index:Container e2e-router-container creating (0s) error: docker start f548: Error response from daemon: bind: address already in use',
      '  docker:index:Container (e2e-router-container):',
      '    error: docker start f548: Error response from daemon: bind: address already in use',
      '  pulumi:pulumi:Stack (slipway-local):',
      '    error: update failed',
    ].join('\n');
    expect(engineErrorLine(new Error(message))).toBe('error: docker start f548: Error response from daemon: bind: address already in use');
    expect(engineErrorLine(new Error('x'.repeat(400)))).toHaveLength(300);
    expect(exitCodeFor(new EngineFailed('stack local: error: …'))).toBe(1);
  });
});
