// Parity and the app's configuration: the plain variables (`slipway:app.env`) and the secret values are
// declared knobs, named as such, and no value of a secret (nor its ciphertext) is ever printed; the
// list of secret names is the application's, so a difference there is undeclared.
import { describe, expect, it } from 'vitest';
import { run } from '../pipeline/cli/main';
import { registerParity } from '../pipeline/cli/commands/parity';
import { memorySink } from '../pipeline/cli/output';
import { parity } from '../pipeline/review/parity';
import { renderParity } from '../pipeline/review/parityRender';
import { rawStack, ROOT } from './mocks';

const TASK = 'aws:ecs/taskDefinition:TaskDefinition';

/** staging or prod with LOG_LEVEL and an encrypted DATABASE_URL. */
function withConfig(stack: 'staging' | 'prod', logLevel: string, cipher: string): Record<string, any> {
  const raw = rawStack(stack);
  raw['slipway:app'].env = { LOG_LEVEL: logLevel, FEATURES: 'search' };
  raw['slipway:app'].secrets = ['DATABASE_URL'];
  raw['slipway:secret.DATABASE_URL'] = { secure: cipher };
  return raw;
}

describe('parity names the app configuration knobs', () => {
  it('a plain variable and a secret value differ: both declared knobs, the secret shown only as [secret]', async () => {
    const configs = { staging: withConfig('staging', 'debug', 'v1:STAGINGcipherAAAA'), prod: withConfig('prod', 'warn', 'v1:PRODcipherBBBB') };
    const report = await parity('staging', 'prod', { root: ROOT, configs });
    expect(report.ok).toBe(true);
    expect(report.undeclared).toEqual([]);
    const env = report.knobs.find((k) => k.knob === 'slipway:app.env');
    expect(env).toMatchObject({ changes: [{ path: 'LOG_LEVEL', before: 'debug', after: 'warn' }] });
    expect(env!.differences).toBeGreaterThan(0);
    expect(report.knobs.find((k) => k.knob === 'slipway:secret.DATABASE_URL')).toEqual({
      knob: 'slipway:secret.DATABASE_URL',
      changes: [{ path: '', before: '[secret]', after: '[secret]' }],
      differences: 0,
    });
    // Each slot's container definition changes with the variable (its value and the configuration id),
    // and each change is put down to that one variable.
    for (const name of ['shop-blue-task', 'shop-green-task']) {
      const changes = report.declared.filter((x) => x.type === TASK && x.name === name && x.path?.startsWith('containerDefinitions'));
      expect(changes.map((c) => [c.path, c.knobs])).toEqual([
        ['containerDefinitions[0].dockerLabels["slipway.config"]', ['slipway:app.env.LOG_LEVEL']],
        ['containerDefinitions[0].environment[2].value', ['slipway:app.env.LOG_LEVEL']],
      ]);
      expect(changes[1]).toMatchObject({ a: 'debug', b: 'warn' });
    }
    const text = renderParity(report).join('\n');
    expect(text).toContain('slipway:secret.DATABASE_URL: [secret] → [secret]');
    expect(text + JSON.stringify(report)).not.toMatch(/cipher|v1:/);
  }, 60000);

  it('different secret names are an application difference, undeclared', async () => {
    const prod = withConfig('prod', 'debug', 'v1:PRODcipherBBBB');
    prod['slipway:app'].secrets = ['DATABASE_URL', 'API_TOKEN'];
    prod['slipway:secret.API_TOKEN'] = { secure: 'v1:PRODtokenCCCC' };
    const report = await parity('staging', 'prod', { root: ROOT, configs: { staging: withConfig('staging', 'debug', 'v1:STAGINGcipherAAAA'), prod } });
    expect(report.ok).toBe(false);
    expect(report.undeclared).toEqual([
      expect.objectContaining({ kind: 'config', type: 'slipway:app', path: 'secrets[1]', b: 'API_TOKEN', reason: expect.stringMatching(/the application is not a knob/) }),
    ]);
    expect(report.knobs.map((k) => k.knob)).not.toContain('slipway:secret.API_TOKEN');
    expect(JSON.stringify(report)).not.toMatch(/cipher|PRODtoken/);
  }, 60000);

  it('the shipped staging and prod: the command prints no secret', async () => {
    const output = memorySink();
    await run(['parity', 'staging', 'prod'], { cwd: ROOT, output, commands: [registerParity] });
    expect(output.stdout + output.stderr).not.toMatch(/secure|v1:/);
  }, 60000);
});
