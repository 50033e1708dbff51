// A throw-away copy of the project (Pulumi.yaml, the program, stacks/) sharing this checkout's
// node_modules, for tests that change the program itself: the offline plan must run what is there.
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../mocks';

export const PROGRAM_FILES = ['Pulumi.yaml', 'index.ts', 'package.json', 'stacks', 'components'] as const;

export function projectCopy(files: Record<string, string> = {}): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-project-'));
  for (const f of PROGRAM_FILES) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * index.ts with one resource more than the shipped program — a secret input, a secret output and,
 * with `onlyOn`, only on that stack (a component branching on the stack name).
 */
export function indexWithExtra(opts: { onlyOn?: string; topLevel?: boolean } = {}): string {
  const create = `new pulumi.CustomResource('test:index:Extra', 'extra', { size: 3, token: pulumi.secret('hunter2-' + pulumi.getStack()) })`;
  const guarded = opts.onlyOn ? `if (pulumi.getStack() === '${opts.onlyOn}') ${create};` : `${create};`;
  return [
    `import * as pulumi from '@pulumi/pulumi';`,
    `import { runProgram } from './components/program';`,
    opts.topLevel ? guarded : '',
    `export default function () {`,
    `  const outputs = runProgram();`,
    opts.topLevel ? '' : `  ${guarded}`,
    `  return { ...outputs, extraToken: pulumi.secret('s3cr3t-out') };`,
    `}`,
    '',
  ].join('\n');
}
