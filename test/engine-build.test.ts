// The engine build's plan: which versions it builds and how, from the lockfile and engine/go.mod.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_PACKAGE, engineBuildPlan, LANGUAGE_HOST_PACKAGE, lockedSdkVersion, VERSION_SYMBOL, wrapperCliVersion } from '../pipeline/engine/build';
import { UserError } from '../pipeline/cli/errors';
import { ROOT } from './mocks';

const lock = (version: unknown) => JSON.stringify({ packages: { 'node_modules/@pulumi/pulumi': { version } } });
const files = (over: Partial<Record<'lockfile' | 'goMod', string>> = {}) => ({
  lockfile: lock('3.248.0'),
  goMod: 'module x\n\nrequire github.com/pulumi/pulumi/pkg/v3 v3.248.0 // indirect\n',
  goSum: 'sum',
  hostGoMod: 'host',
  launcher: '#!/bin/sh',
  ...over,
});

describe('engine build plan', () => {
  it('reads the SDK version the lockfile pins, and refuses anything else', () => {
    expect(lockedSdkVersion(lock('3.248.0'))).toBe('3.248.0');
    expect(() => lockedSdkVersion(lock('^3.0.0'))).toThrow(/node_modules\/@pulumi\/pulumi.*not a release version/);
    expect(() => lockedSdkVersion('{')).toThrow(UserError);
  });

  it('the repository keeps engine/go.mod at the version of @pulumi/pulumi in package-lock.json', () => {
    const sdk = lockedSdkVersion(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
    expect(wrapperCliVersion(readFileSync(join(ROOT, 'engine/go.mod'), 'utf8'))).toBe(sdk);
    expect(readFileSync(join(ROOT, 'engine/language-nodejs/go.mod'), 'utf8')).toContain(`github.com/pulumi/pulumi/pkg/v3 v${sdk}`);
  });

  it('builds the CLI into .slipway/pulumi/bin with the version stamped, and tries the language host', () => {
    const plan = engineBuildPlan('/p', files());
    expect(plan.cli.argv).toEqual(['go', 'build', '-trimpath', '-ldflags', `-s -w -X ${VERSION_SYMBOL}=v3.248.0`, '-o', '/p/.slipway/pulumi/bin/pulumi', CLI_PACKAGE]);
    expect(plan.cli.cwd).toBe('/p/engine');
    expect(plan.languageHost.argv).toContain('-mod=mod');
    expect(plan.languageHost.argv.at(-1)).toBe(LANGUAGE_HOST_PACKAGE);
    expect(plan.launcher).toEqual({ from: '/p/engine/pulumi-resource-pulumi-nodejs', to: '/p/.slipway/pulumi/bin/pulumi-resource-pulumi-nodejs' });
  });

  it('changes its cache key with any input, and stops when go.mod and the lockfile disagree', () => {
    const a = engineBuildPlan('/p', files()).stamp.inputs;
    expect(engineBuildPlan('/p', { ...files(), goSum: 'other' }).stamp.inputs).not.toBe(a);
    expect(() => engineBuildPlan('/p', files({ lockfile: lock('3.250.0') }))).toThrow(
      /engine\/go.mod: requires github.com\/pulumi\/pulumi\/pkg\/v3 at v3.248.0, but package-lock.json has @pulumi\/pulumi 3.250.0/,
    );
  });
});
