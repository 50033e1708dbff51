// The review commands' one values module: paths, URNs, secret masking and display, as pure functions.
import { describe, expect, it } from 'vitest';
import { engineConfig } from '../pipeline/review/plan';
import { knobLabel } from '../pipeline/review/parityAttribution';
import {
  digestSecrets,
  formatPath,
  isSecret,
  lookup,
  maskSecrets,
  MISSING,
  nameOfUrn,
  parsePath,
  secretValue,
  secureAsSecret,
  showValue,
  UNKNOWN_VALUE,
} from '../pipeline/review/values';

const OUTPUT_SIG = 'd0e6a833031e9bbcd3f4e8bde6ca49a4';

describe('secrets', () => {
  it('recognises every form a secret arrives in: envelope, flagged output value, the engine\'s mask', () => {
    expect(isSecret(secretValue('p'))).toBe(true);
    expect(isSecret({ '4dabf18193072939515e22adb298388d': OUTPUT_SIG, value: 'p', secret: true })).toBe(true);
    expect(isSecret('[secret]')).toBe(true);
    expect(isSecret({ '4dabf18193072939515e22adb298388d': OUTPUT_SIG, value: 'p' })).toBe(false);
    expect(isSecret({ secure: 'v1:abc' })).toBe(false);
  });

  it('maskSecrets replaces them at any depth and leaves the rest alone', () => {
    expect(maskSecrets({ a: [1, secretValue({ k: 'hunter2' })], b: { c: secretValue('x'), d: 'plain' } })).toEqual({ a: [1, '[secret]'], b: { c: '[secret]', d: 'plain' } });
  });

  it('digestSecrets keeps secrets comparable without their plaintext', () => {
    const d = (t: string) => `#${t.length}`;
    expect(digestSecrets({ a: secretValue('hunter2'), b: ['x', secretValue({ k: 1 })] }, d)).toEqual({ a: secretValue('#9'), b: ['x', secretValue('#7')] });
  });

  it('secureAsSecret turns secure: config values, nested too, into secrets of their ciphertext', () => {
    expect(secureAsSecret({ db: { password: { secure: 'v1:abc' }, user: 'app' } })).toEqual({ db: { password: secretValue('v1:abc'), user: 'app' } });
  });

  it('engineConfig hands the program [secret] for a secure: value, and names its key as secret', () => {
    expect(engineConfig({ 'shop:db': { user: 'app', password: { secure: 'v1:abc' } }, 'aws:region': 'eu-west-1' })).toEqual({
      config: { 'shop:db': '{"user":"app","password":"[secret]"}', 'aws:region': 'eu-west-1' },
      secretKeys: ['shop:db'],
    });
  });

  it('showValue never shows a secret, whole or inside a structure', () => {
    expect(showValue(secretValue('hunter2'))).toBe('[secret]');
    expect(showValue({ user: 'app', password: secretValue('hunter2') })).toBe('{user: "app", password: [secret]}');
    expect(showValue(UNKNOWN_VALUE)).toBe('[unknown]');
    expect(showValue(undefined)).toBe('(unset)');
    expect(showValue('<computed:shop-alb.dnsName>')).toBe('<computed:shop-alb.dnsName>');
    expect(showValue('x'.repeat(100), 10)).toBe('"xxxxxxxx…');
  });

  it('lookup stops at a secret on the way: what lies below it is secret too', () => {
    const state = { env: secretValue({ TOKEN: 't' }), tags: { 'cost-center': 'shop' }, list: [{ a: 1 }] };
    expect(lookup(state, 'env.TOKEN')).toBe('[secret]');
    expect(lookup(state, 'tags["cost-center"]')).toBe('shop');
    expect(lookup(state, 'list[0].a')).toBe(1);
    expect(lookup(state, 'list[1].a')).toBe(MISSING);
    expect(lookup(undefined, 'a')).toBe(MISSING);
  });
});

describe('paths and URNs', () => {
  it('formatPath and parsePath are inverses on the paths Pulumi writes', () => {
    for (const segments of [['healthCheck', 'interval'], ['tags', 'cost-center'], ['subnets', 2], ['a', 'x"]y', 'b']]) {
      expect(parsePath(formatPath(segments))).toEqual(segments);
    }
    expect(formatPath(['tags', 'cost-center'])).toBe('tags["cost-center"]');
  });

  it('knobLabel writes a knob property as a path below its key', () => {
    expect(knobLabel('slipway:capacity', 'cpu')).toBe('slipway:capacity.cpu');
    expect(knobLabel('slipway:tags', 'cost-center')).toBe('slipway:tags["cost-center"]');
    expect(knobLabel('aws:region', '')).toBe('aws:region');
  });

  it('nameOfUrn takes the logical name, even one holding ::', () => {
    expect(nameOfUrn('urn:pulumi:dev::slipway::aws:s3/bucket:Bucket::a::b')).toBe('a::b');
    expect(nameOfUrn(undefined)).toBeUndefined();
  });
});
