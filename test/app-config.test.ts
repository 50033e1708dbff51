// The app's configuration in stack files: `slipway:app.env`, `slipway:app.secrets` and the secret values
// `slipway:secret.NAME`. Every bad input gets one line naming the file and key, and no line ever holds a
// secret's value. Then the configuration id a slot's release records.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { appConfigId, EMPTY_CONFIG_ID, recordedConfig, secretValuesOf } from '../stacks/appEnv';
import { validateStackConfig } from '../stacks/validate';
import { holds, loadStackConfig, slotRelease } from '../pipeline/release/appConfig';
import { EngineDouble } from './support/engineDouble';
import { shownArgs } from './providers/docker/cli';
import { DIGEST_A, rawStack } from './mocks';

const ENCRYPTED = { secure: 'v1:qNHxJ0h2sAhxF5wX:Zm9vYmFyYmF6cXV4' };
const VALUE = 'postgres://shop:hunter2-s3cr3t@db.internal/shop';
const F = 'stacks/Pulumi.prod.yaml';

/** The error lines for prod's stack file after `edit`; as read from the file unless `decrypted`. */
function check(edit: (raw: Record<string, any>) => void, decrypted = false): string[] {
  const raw = rawStack('prod');
  edit(raw);
  const r = validateStackConfig(raw, { stack: 'prod', file: F, decrypted });
  const lines = r.ok ? [] : r.errors;
  for (const l of lines) expect(l).not.toMatch(/hunter2|s3cr3t|db\.internal|Zm9vYmFy/);
  return lines;
}
const app = (raw: Record<string, any>) => raw['slipway:app'] as Record<string, unknown>;
const SET = (name: string) => `\`pulumi config set --secret slipway:secret.${name} --stack prod\``;
const RM = (key: string) => `\`pulumi config rm ${key} --stack prod\``;
const NAME_RULE = '[A-Z_][A-Z0-9_]*, at most 64 characters';

describe('slipway:app.env', () => {
  it('takes plain variables, and defaults to none', () => {
    expect(check((r) => (app(r).env = { LOG_LEVEL: 'info', FEATURES: '', GRACE_MS: '30000' }))).toEqual([]);
    const v = validateStackConfig(rawStack('prod'), { stack: 'prod', file: F });
    expect(v.ok && [v.config.app.env, v.config.app.secrets]).toEqual([{}, []]);
  });

  it('refuses names that are not variable names, and the ones Slipway sets', () => {
    expect(check((r) => (app(r).env = { log_level: 'x', 'A-B': 'y', PORT: '1', APP_VERSION: '2', SLOT: 'blue' }))).toEqual([
      `${F}: slipway:app.env.log_level: "log_level" is not an environment variable name (${NAME_RULE})`,
      `${F}: slipway:app.env.A-B: "A-B" is not an environment variable name (${NAME_RULE})`,
      `${F}: slipway:app.env.PORT: PORT is set by Slipway itself (APP_VERSION, PORT, SLOT)`,
      `${F}: slipway:app.env.APP_VERSION: APP_VERSION is set by Slipway itself (APP_VERSION, PORT, SLOT)`,
      `${F}: slipway:app.env.SLOT: SLOT is set by Slipway itself (APP_VERSION, PORT, SLOT)`,
    ]);
    expect(check((r) => (app(r).env = { ['X'.repeat(65)]: '1' }))).toEqual([
      `${F}: slipway:app.env.${'X'.repeat(65)}: "${'X'.repeat(65)}" is not an environment variable name (${NAME_RULE})`,
    ]);
  });

  it('wants strings: a YAML number or boolean is refused with the quoted form to write instead', () => {
    expect(check((r) => (app(r).env = { N: 30000, B: true, O: { a: 1 }, E: null }))).toEqual([
      `${F}: slipway:app.env.N: 30000 is not a string; quote it: "30000"`,
      `${F}: slipway:app.env.B: true is not a string; quote it: "true"`,
      `${F}: slipway:app.env.O: {"a":1} is not a string`,
      `${F}: slipway:app.env.E: empty, expected a string (write "" for an empty value)`,
    ]);
    expect(check((r) => (app(r).env = ['LOG_LEVEL=info']))).toEqual([`${F}: slipway:app.env: ["LOG_LEVEL=info"] is not a mapping of variable names to values`]);
  });

  it('bounds the count, each value and the total', () => {
    expect(check((r) => (app(r).env = { BIG: 'x'.repeat(4097) }))).toEqual([`${F}: slipway:app.env.BIG: 4097 characters, over the limit of 4096 for a value`]);
    expect(check((r) => (app(r).env = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`V${i}`, 'x']))))).toEqual([
      `${F}: slipway:app.env: 51 variables, over the limit of 50`,
    ]);
    expect(check((r) => (app(r).env = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`V${i}`, 'x'.repeat(4000)]))))).toEqual([
      `${F}: slipway:app.env: values total 20000 characters, over the limit of 16384`,
    ]);
  });
});

describe('slipway:app.secrets and slipway:secret.NAME', () => {
  it('takes listed names, each with an encrypted value in the stack file', () => {
    expect(check((r) => {
      app(r).secrets = ['DATABASE_URL', 'API_TOKEN'];
      r['slipway:secret.DATABASE_URL'] = ENCRYPTED;
      r['slipway:secret.API_TOKEN'] = ENCRYPTED;
    })).toEqual([]);
  });

  it('a listed secret without a value names the command that sets it', () => {
    expect(check((r) => (app(r).secrets = ['DATABASE_URL']))).toEqual([
      `${F}: slipway:secret.DATABASE_URL: missing: slipway:app.secrets lists DATABASE_URL; set it with ${SET('DATABASE_URL')} (it asks for the value)`,
    ]);
  });

  it('refuses a value nothing lists (a typo or a leftover), naming both ways out', () => {
    expect(check((r) => (r['slipway:secret.OLD_TOKEN'] = ENCRYPTED))).toEqual([
      `${F}: slipway:secret.OLD_TOKEN: not listed in slipway:app.secrets, so nothing would use it; list OLD_TOKEN there, or remove it: ${RM('slipway:secret.OLD_TOKEN')}`,
    ]);
    expect(check((r) => (r['slipway:secret.db-url'] = ENCRYPTED))).toEqual([
      `${F}: slipway:secret.db-url: "db-url" is not an environment variable name (${NAME_RULE}); remove it: ${RM('slipway:secret.db-url')}`,
    ]);
  });

  it('refuses a value left in plain text in the stack file, or not in the encrypted form, without echoing it', () => {
    expect(check((r) => {
      app(r).secrets = ['DATABASE_URL'];
      r['slipway:secret.DATABASE_URL'] = VALUE;
    })).toEqual([
      `${F}: slipway:secret.DATABASE_URL: in plain text in the stack file; remove it (${RM('slipway:secret.DATABASE_URL')}) and set it encrypted: ${SET('DATABASE_URL')}`,
    ]);
    expect(check((r) => {
      app(r).secrets = ['DATABASE_URL'];
      r['slipway:secret.DATABASE_URL'] = { value: VALUE };
    })).toEqual([`${F}: slipway:secret.DATABASE_URL: not an encrypted value ({secure: …}); set it with ${SET('DATABASE_URL')}`]);
  });

  it('refuses values nested by `pulumi config set --path`', () => {
    expect(check((r) => {
      app(r).secrets = ['DATABASE_URL'];
      r['slipway:secret'] = { DATABASE_URL: ENCRYPTED };
    })).toEqual([
      `${F}: slipway:secret: values nested under slipway:secret (set with --path); remove them (${RM('slipway:secret')}) and set each as the flat key slipway:secret.NAME, without --path`,
      `${F}: slipway:secret.DATABASE_URL: missing: slipway:app.secrets lists DATABASE_URL; set it with ${SET('DATABASE_URL')} (it asks for the value)`,
    ]);
  });

  it('refuses bad, reserved and repeated names, and a name both plain and secret', () => {
    expect(check((r) => (app(r).secrets = ['db-url', 'PORT', 7]))).toEqual([
      `${F}: slipway:app.secrets[0]: "db-url" is not an environment variable name (${NAME_RULE})`,
      `${F}: slipway:app.secrets[1]: PORT is set by Slipway itself (APP_VERSION, PORT, SLOT)`,
      `${F}: slipway:app.secrets[2]: 7 is not a variable name (a string)`,
    ]);
    expect(check((r) => {
      app(r).secrets = ['A', 'A'];
      r['slipway:secret.A'] = ENCRYPTED;
    })).toEqual([`${F}: slipway:app.secrets[1]: A is listed twice`]);
    expect(check((r) => {
      app(r).env = { DATABASE_URL: 'x' };
      app(r).secrets = ['DATABASE_URL'];
      r['slipway:secret.DATABASE_URL'] = ENCRYPTED;
    })).toEqual([`${F}: slipway:app.secrets[0]: DATABASE_URL is also in slipway:app.env; a variable is either plain or secret`]);
    expect(check((r) => (app(r).secrets = 'DATABASE_URL'))).toEqual([`${F}: slipway:app.secrets: "DATABASE_URL" is not a list of variable names`]);
  });

  it('bounds the count, and (decrypted, as the engine hands them over) each value and the total', () => {
    const names = Array.from({ length: 21 }, (_, i) => `S${i}`);
    expect(check((r) => {
      app(r).secrets = names;
      for (const n of names) r[`slipway:secret.${n}`] = ENCRYPTED;
    })).toEqual([`${F}: slipway:app.secrets: 21 names, over the limit of 20`]);
    expect(check((r) => {
      app(r).secrets = ['A', 'B'];
      r['slipway:secret.A'] = '';
      r['slipway:secret.B'] = `${VALUE}${'x'.repeat(4097)}`;
    }, true)).toEqual([
      `${F}: slipway:secret.A: empty; set a value: ${SET('A')}`,
      `${F}: slipway:secret.B: longer than 4096 characters, the limit for a value`,
    ]);
    const nine = Array.from({ length: 9 }, (_, i) => `S${i}`);
    expect(check((r) => {
      app(r).secrets = nine;
      for (const n of nine) r[`slipway:secret.${n}`] = 'x'.repeat(4000);
    }, true)).toEqual([`${F}: slipway:app.secrets: the secret values total more than 32768 characters, the limit`]);
    expect(check((r) => {
      app(r).secrets = ['DATABASE_URL'];
      r['slipway:secret.DATABASE_URL'] = VALUE;
    }, true)).toEqual([]);
  });

  it('a release records its configuration id, only on a slot that runs something', () => {
    expect(check((r) => {
      r['slipway:release'].blue = { config: '0123456789abcdef' };
      r['slipway:release'].green = { image: `shop@${DIGEST_A}`, version: '1.0.0', config: 'nope' };
    })).toEqual([
      `${F}: slipway:release.blue.config: set on a slot without a release; only a slot that runs something has a configuration`,
      `${F}: slipway:release.green.config: "nope" is not a configuration id (16 hex digits)`,
    ]);
  });
});

describe('the configuration id', () => {
  const env = { LOG_LEVEL: 'info' };
  it('is 16 hex digits, the same for the same values in any order, and changes with any value, name or the app', () => {
    const id = appConfigId('shop', env, { DATABASE_URL: VALUE, API_TOKEN: 't' });
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(appConfigId('shop', { ...env }, { API_TOKEN: 't', DATABASE_URL: VALUE })).toBe(id);
    const others = [
      appConfigId('shop', { LOG_LEVEL: 'debug' }, { DATABASE_URL: VALUE, API_TOKEN: 't' }),
      appConfigId('shop', env, { DATABASE_URL: `${VALUE}x`, API_TOKEN: 't' }),
      appConfigId('shop', env, { DATABASE_URL: VALUE, API_TOKEN2: 't' }),
      appConfigId('shop', { ...env, API_TOKEN: 't' }, { DATABASE_URL: VALUE }),
      appConfigId('shop2', env, { DATABASE_URL: VALUE, API_TOKEN: 't' }),
    ];
    expect(new Set([id, ...others]).size).toBe(6);
  });

  it('a release without a recorded id ran the empty configuration, whatever the app', () => {
    expect(appConfigId('shop', {}, {})).toBe(EMPTY_CONFIG_ID);
    expect(recordedConfig({})).toBe(EMPTY_CONFIG_ID);
    expect(recordedConfig({ config: 'ffffffffffffffff' })).toBe('ffffffffffffffff');
  });

  it('property: distinct secret values give distinct ids', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (a, b) => {
        fc.pre(a !== b);
        return appConfigId('shop', {}, { S: a }) !== appConfigId('shop', {}, { S: b });
      }),
      { numRuns: 20 },
    );
  });

  it('a release records the id only when the configuration has something; holds() compares both', () => {
    const artifact = { ref: `shop:1.0.0@${DIGEST_A}`, digest: DIGEST_A, version: '1.0.0' };
    expect(slotRelease(artifact, EMPTY_CONFIG_ID)).toEqual({ image: artifact.ref, version: '1.0.0' });
    const id = appConfigId('shop', env, {});
    expect(slotRelease(artifact, id)).toEqual({ image: artifact.ref, version: '1.0.0', config: id });
    expect(holds(slotRelease(artifact, id), artifact, id)).toBe(true);
    expect(holds({ image: artifact.ref, version: '1.0.0' }, artifact, id)).toBe(false);
    expect(holds({ image: artifact.ref, version: '1.0.0' }, artifact, EMPTY_CONFIG_ID)).toBe(true);
  });

  it('the pipeline derives it from the values the engine hands over, as the program does', async () => {
    const engine = new EngineDouble();
    engine.seed('local', (raw) => {
      raw['slipway:app'].env = env;
      raw['slipway:app'].secrets = ['DATABASE_URL'];
      raw['slipway:secret.DATABASE_URL'] = VALUE;
    });
    const loaded = await loadStackConfig(await engine.selectStack('local'));
    expect(loaded.appConfig).toBe(appConfigId('shop', env, { DATABASE_URL: VALUE }));
    expect(JSON.stringify(loaded.config)).not.toContain('hunter2');
    expect(secretValuesOf({ 'slipway:secret.A': ENCRYPTED, 'slipway:secret.B': 'b' }, ['A', 'B', 'C'])).toEqual({ A: `secure:${ENCRYPTED.secure}`, B: 'b' });
  });
});

describe('the docker double', () => {
  it('names a failed command without the environment values it was given', () => {
    expect(shownArgs(['create', '--name', 'x', '--env', `DATABASE_URL=${VALUE}`, '--env', 'PORT=8080', 'img'])).toEqual([
      'create', '--name', 'x', '--env', 'DATABASE_URL=…', '--env', 'PORT=…', 'img',
    ]);
  });
});
