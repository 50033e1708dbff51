// The console's configuration (one line per problem, naming the file and the key), its password
// hashes, and `slipway console hash-password`, which reads the password from stdin only.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readPassword } from '../../pipeline/cli/commands/console';
import { loadConsoleConfig, mayDeploy, validateConsoleConfig } from '../../pipeline/console/config';
import { hashPassword, isPasswordHash, verifyPassword } from '../../pipeline/console/password';
import { csrfMatches, csrfToken, decodeSession, encodeSession, newSession, sessionSecret } from '../../pipeline/console/session';
import { run } from '../../pipeline/cli/main';
import { memorySink } from '../../pipeline/cli/output';
import { ROOT } from '../mocks';
import { HASHES } from './support';

const STACKS = ['dev', 'local', 'prod', 'staging'];
const user = { name: 'alice', email: 'alice@example.com', passwordHash: HASHES.alice };

describe('console configuration', () => {
  it('accepts users, deployers per stack and a trusted proxy', () => {
    const v = validateConsoleConfig({ users: [user], deployers: { local: ['*'], prod: ['alice'] }, proxy: { addresses: ['127.0.0.1'] } }, 'console.yaml', STACKS);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.config.proxy?.header).toBe('X-Forwarded-User');
    expect(mayDeploy(v.config, 'local', 'anyone')).toBe(true);
    expect(mayDeploy(v.config, 'prod', 'bob')).toBe(false);
    expect(mayDeploy(v.config, 'staging', 'alice')).toBe(false);
  });

  it('names the file and the key of every problem, one line each', () => {
    const v = validateConsoleConfig(
      {
        users: [{ ...user, passwordHash: 'hunter2' }, { name: 'bob', email: 'not-an-address' }, { ...user, nmae: 'x' }],
        deployers: { qa: ['alice'], prod: ['mallory'] },
        proxy: { addresses: ['localhost'] },
        smtp: {},
      },
      'console.yaml',
      STACKS,
    );
    expect(v.ok).toBe(false);
    if (v.ok) return;
    expect(v.errors).toEqual(
      expect.arrayContaining([
        'console.yaml: users[0].passwordHash: not a scrypt hash (make one with `slipway console hash-password`, which reads the password from stdin)',
        'console.yaml: users[1].email: "not-an-address" is not an e-mail address (user@example.com)',
        'console.yaml: users[2].nmae: unknown key (allowed: name, email, passwordHash)',
        'console.yaml: proxy.addresses[0]: "localhost" is not an IP address',
        'console.yaml: smtp: unknown key (allowed: publicUrl, users, deployers, proxy, notifications)',
      ]),
    );
    expect(v.errors.every((e) => !e.includes('\n'))).toBe(true);
    const second = validateConsoleConfig({ users: [user, user], deployers: { qa: ['alice'], prod: ['mallory'] } }, 'c.yaml', STACKS);
    expect(second.ok ? [] : second.errors).toEqual([
      'c.yaml: users[1].name: "alice" is listed twice',
      'c.yaml: deployers.qa: no stack file stacks/Pulumi.qa.yaml (stacks: dev, local, prod, staging)',
      'c.yaml: deployers.prod[0]: "mallory" is not a user of this file',
    ]);
  });

  it('checks the notifications section with the notifications module, in the same list of problems', () => {
    const v = validateConsoleConfig({ users: [user], notifications: { smtp: { host: 'mail.example.com' } } }, 'console.yaml', STACKS);
    expect(v.ok ? [] : v.errors).toEqual(['console.yaml: notifications.smtp.port: missing (required)', 'console.yaml: notifications.smtp.from: missing (required)']);
    const none = validateConsoleConfig({ users: [user] }, 'console.yaml', STACKS);
    expect(none.ok && none.notifications).toEqual({ webhooks: [] });
  });

  it('`slipway console` stops with one line when the file is missing or wrong, before listening', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-console-config-'));
    try {
      writeFileSync(join(dir, 'bad.yaml'), 'users: []\n');
      expect(() => loadConsoleConfig(join(dir, 'bad.yaml'), ROOT)).toThrow(/bad\.yaml: users: must list at least one user/);
      const out = memorySink();
      expect(await run(['console', '--config', join(dir, 'none.yaml')], { cwd: ROOT, output: out, env: {} })).toBe(1);
      expect(out.stderr.trim().split('\n')).toHaveLength(1);
      expect(out.stderr).toMatch(/none\.yaml: no such file/);
      expect(await run(['console', '--port', '99999'], { cwd: ROOT, output: memorySink(), env: {} })).toBe(64);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('passwords and sessions', () => {
  it('hashes with scrypt, the cost in the hash; verifies; says no for a missing hash', async () => {
    const h = await hashPassword('correct horse', { ln: 10, r: 8, p: 1 });
    expect(h).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/);
    expect(isPasswordHash(h)).toBe(true);
    expect(await verifyPassword('correct horse', h)).toBe(true);
    expect(await verifyPassword('correct hors', h)).toBe(false);
    expect(await verifyPassword('correct horse', undefined)).toBe(false);
    expect(await hashPassword('x', { ln: 10, r: 8, p: 1 })).not.toBe(await hashPassword('x', { ln: 10, r: 8, p: 1 }));
  });

  it('reads the password as the first line of stdin, never from arguments', async () => {
    expect(await readPassword(Readable.from(['s3cret pass\n', 'ignored\n']) as unknown as NodeJS.ReadStream, () => {})).toBe('s3cret pass');
    expect(await readPassword(Readable.from(['no-newline']) as unknown as NodeJS.ReadStream, () => {})).toBe('no-newline');
  });

  it('a session cookie carries no secret and expires; the CSRF token belongs to its session', () => {
    const s = newSession(1000, 'alice');
    expect(decodeSession(encodeSession(s), 2000)).toEqual(s);
    expect(decodeSession(encodeSession(s), s.exp)).toBeUndefined();
    expect(decodeSession('not base64 json', 0)).toBeUndefined();
    expect(csrfMatches('k'.repeat(32), s.sid, csrfToken('k'.repeat(32), s.sid))).toBe(true);
    expect(csrfMatches('k'.repeat(32), newSession(0).sid, csrfToken('k'.repeat(32), s.sid))).toBe(false);
  });

  it('takes the session key from SLIPWAY_CONSOLE_SECRET, or makes one (and says it did)', () => {
    expect(sessionSecret({ SLIPWAY_CONSOLE_SECRET: 'x'.repeat(32) })).toEqual({ secret: 'x'.repeat(32), generated: false });
    expect(sessionSecret({}).generated).toBe(true);
    expect(() => sessionSecret({ SLIPWAY_CONSOLE_SECRET: 'short' })).toThrow('SLIPWAY_CONSOLE_SECRET: must be at least 32 characters');
  });
});
