// Real Chromium for the console's browser tests and its bench: Debian's /usr/bin/chromium (the package
// `chromium`, which .ci/run installs) driven by playwright-core, which downloads no browser of its own.
// Missing, it is a failure with one line saying how to install it, never a skip.
//
//   const browser = await launchChromium();
//   const context = await browser.newContext({ viewport: VIEWPORT });
//   const live = await recordLiveLines(context);   // lines the job page's script appends, as they arrive
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.SLIPWAY_CHROMIUM ?? '/usr/bin/chromium';

/** Small enough for the docs' screenshots, wide enough for the console's tables. */
export const VIEWPORT = { width: 1000, height: 700 } as const;

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Chromium (Debian/Ubuntu: sudo apt-get install -y chromium; or set SLIPWAY_CHROMIUM to a Chromium binary), which the console's browser tests drive with playwright-core`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** A line the job page's script appended to `#log` after the page loaded: it came over server-sent events. */
export interface LiveLine {
  /** The page's path when it arrived (`/jobs/<job>`). */
  path: string;
  text: string;
  /** Wall-clock time in the browser when the line was appended, ms since the epoch (sub-millisecond). */
  at: number;
}

/**
 * Records, on every page of `context` and across reloads, each line added to `#log` once the page has
 * loaded — only the console's script adds lines then, as events arrive. Lines the server rendered are
 * not recorded. The observer runs outside the page's Content-Security-Policy (a DevTools script).
 */
export async function recordLiveLines(context: BrowserContext): Promise<LiveLine[]> {
  const lines: LiveLine[] = [];
  await context.exposeFunction('__slipwayLiveLine', (path: string, text: string, at: number) => void lines.push({ path, text, at }));
  // A string, not a function: the page gets exactly this text, with nothing a TypeScript transform added.
  await context.addInitScript(`document.addEventListener('DOMContentLoaded', () => {
  const log = document.getElementById('log');
  if (!log) return;
  new MutationObserver((records) => {
    const at = performance.timeOrigin + performance.now();
    for (const r of records) for (const n of r.addedNodes) void window.__slipwayLiveLine(location.pathname, n.textContent || '', at);
  }).observe(log, { childList: true });
});`);
  return lines;
}

/** Collects what the pages printed as errors (a script blocked by the CSP, a failed request, an exception). */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${page.url()}: console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  return errors;
}

/** Saves a screenshot of the viewport as `<dir>/<name>.png`; returns the file. */
export async function screenshot(page: Page, dir: string, name: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}
