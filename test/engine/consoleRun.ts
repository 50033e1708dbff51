// The console as a user runs it, for the engine suite's browser test: `slipway console --port P` in an
// engineProject, with a console.yaml of its own (users whose hashes come from the code
// `slipway console hash-password` runs, deployers, mail to a test SMTP server), and the pages it serves
// driven through Chromium.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { Page } from 'playwright-core';
import { hashPassword } from '../../pipeline/console/password';
import type { Mailbox, ReceivedMail } from '../support/mailbox';
import { freePort, freePorts } from '../support/ports';
import type { EngineProject, SlipwayRun } from './project';

export interface ConsoleUserSpec {
  name: string;
  email: string;
  password: string;
}

/** Writes `console.yaml` into the project: the users (scrypt hashes), who deploys where, mail to `box`. */
export async function writeConsoleConfig(p: EngineProject, users: ConsoleUserSpec[], deployers: Record<string, string[]>, box: Mailbox): Promise<void> {
  const config = {
    users: await Promise.all(users.map(async (u) => ({ name: u.name, email: u.email, passwordHash: await hashPassword(u.password) }))),
    deployers,
    notifications: { smtp: { host: '127.0.0.1', port: box.port, from: 'Slipway <slipway@example.com>' } },
  };
  writeFileSync(join(p.dir, 'console.yaml'), stringify(config));
}

/** Gives `stack` ports of its own, so it runs beside the local stack (engineProject's stacks share theirs). */
export async function ownPorts(p: EngineProject, stack: string): Promise<{ public: number; test: number; publicUrl: string; testUrl: string }> {
  const file = join(p.dir, 'stacks', `Pulumi.${stack}.yaml`);
  const doc = parse(readFileSync(file, 'utf8')) as { config: Record<string, unknown> };
  const [pub, test] = (await freePorts(4)).filter((n) => n !== p.ports.public && n !== p.ports.test) as [number, number];
  doc.config['slipway:ports'] = { public: pub, test };
  writeFileSync(file, stringify(doc));
  return { public: pub, test, publicUrl: `http://127.0.0.1:${pub}`, testUrl: `http://127.0.0.1:${test}` };
}

export interface ConsoleProcess {
  url: string;
  run: SlipwayRun;
  /** Everything the console printed on stderr so far. */
  stderr: () => string;
  /** SIGTERM (running jobs record their interruption), then SIGKILL after `graceMs`. */
  stop: (graceMs?: number) => Promise<void>;
}

/** `slipway console --port P --config console.yaml` in the project; resolves once it listens. */
export async function startConsoleProcess(p: EngineProject, env: Record<string, string>): Promise<ConsoleProcess> {
  const port = await freePort();
  const run = p.slipway(['console', '--port', String(port), '--config', 'console.yaml'], { env });
  let err = '';
  run.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the console did not start in 30 s:\n${err}`)), 30_000);
    run.stderr!.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void run.then((r) => {
      clearTimeout(timer);
      reject(new Error(`the console exited (${r.exitCode}) before it listened:\n${r.all}`));
    });
  });
  const stop = async (graceMs = 70_000) => {
    // execa's exitCode is null (not undefined) while the process runs.
    if (run.exitCode != null || run.signalCode != null) return;
    run.kill('SIGTERM');
    const timer = setTimeout(() => run.kill('SIGKILL'), graceMs);
    await run.catch(() => undefined);
    clearTimeout(timer);
  };
  return { url, run, stderr: () => err, stop };
}

/** Signs in through the form (from wherever the page is; a protected page sends the browser there). */
export async function signIn(page: Page, user: ConsoleUserSpec): Promise<void> {
  await page.waitForSelector('#signin-form');
  await page.fill('#name', user.name);
  await page.fill('#password', user.password);
  await Promise.all([page.waitForNavigation(), page.click('#signin')]);
}

/** Waits for the first mail `match` accepts (mail goes out after the job ends, asynchronously). */
export async function waitForMail(box: Mailbox, match: (m: ReceivedMail) => boolean, ms = 30_000): Promise<ReceivedMail> {
  const end = Date.now() + ms;
  for (;;) {
    const found = box.mails.find(match);
    if (found) return found;
    if (Date.now() > end) throw new Error(`no such mail in ${ms / 1000} s; received: ${JSON.stringify(box.mails.map((m) => ({ to: m.to, subject: m.subject })))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The job page's outcome once the job has ended (the page reloads itself at the end). */
export async function jobOutcome(page: Page, timeoutMs = 240_000): Promise<{ status: string; text: string }> {
  const outcome = await page.waitForSelector('#outcome', { timeout: timeoutMs });
  return { status: (await outcome.getAttribute('data-status')) ?? '', text: (await outcome.textContent()) ?? '' };
}
