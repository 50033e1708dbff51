// The program Pulumi.yaml names, and running it the way Pulumi's Node.js runtime does. One home for the
// offline plan (under the SDK's mocks) and the Automation API's inline path (under the real engine).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../cli/errors';

/** Name and entry point of the project, from Pulumi.yaml (what the CLI itself would run). */
export function projectOf(root: string): { name: string; main: string } {
  const file = join(root, 'Pulumi.yaml');
  if (!existsSync(file)) throw new UserError(`${file}: no such file (the project file names the program to run)`);
  const doc = parseYaml(readFileSync(file, 'utf8')) as { name?: unknown; main?: unknown } | null;
  if (typeof doc?.name !== 'string' || !doc.name) throw new UserError(`${file}: name: missing (the project name is required)`);
  return { name: doc.name, main: typeof doc.main === 'string' && doc.main ? doc.main : 'index.ts' };
}

/** The program file Pulumi.yaml names, which must exist. */
export function programFile(root: string): string {
  const { main } = projectOf(root);
  const file = join(root, main);
  if (!existsSync(file)) throw new UserError(`Pulumi.yaml: main: ${main}: no such file in ${root}`);
  return file;
}

/** Distinguishes each import of the program module, so its top level runs again for every run. */
let runs = 0;

/**
 * Runs the program as Pulumi's Node.js runtime does: a default-exported function is called and its
 * result is the stack outputs; otherwise the module's named exports are. Imported afresh each time
 * (a query string busts the module cache): resources its top level registers belong to every run,
 * as they do when the CLI starts a new process per operation.
 */
export async function runProgramModule(file: string): Promise<Record<string, unknown>> {
  const mod = (await import(`${pathToFileURL(file).href}?run=${++runs}`)) as Record<string, unknown>;
  if (typeof mod.default === 'function') {
    const result = (await (mod.default as () => unknown)()) as unknown;
    if (result !== undefined && (typeof result !== 'object' || result === null)) {
      throw new UserError(`${file}: the default export must return the stack outputs (an object), not ${typeof result}`);
    }
    return (result ?? {}) as Record<string, unknown>;
  }
  return Object.fromEntries(Object.entries(mod).filter(([k]) => k !== 'default'));
}

/** The program Pulumi.yaml names, as an Automation API inline program (see automation.ts). */
export function inlineProgram(root: string): () => Promise<Record<string, unknown>> {
  const file = programFile(root);
  return () => runProgramModule(file);
}
