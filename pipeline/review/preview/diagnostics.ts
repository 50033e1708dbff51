// Engine diagnostics reduced to the errors and warnings a reviewer needs, whatever format they came in.
import type { Diagnostic } from './model';
import { parseUrn } from '../values';

export function diagnostic(severity: string, rawMessage: string, urn: string): Diagnostic | undefined {
  // `info#err` is a program's stderr: noise next to real errors and warnings, like info and debug.
  if (severity !== 'error' && severity !== 'warning') return undefined;
  const message = stripColor(rawMessage).trim();
  if (message === '') return undefined;
  const parsed = parseUrn(urn);
  // A diagnostic on the stack itself is about the program, not one resource.
  const resource = urn && parsed.type !== 'pulumi:pulumi:Stack' ? parsed.name : undefined;
  return { severity, message, ...(resource ? { resource } : {}) };
}

/** Removes Pulumi's colour tags (`<{%fg 1%}>`) and ANSI escapes. */
export function stripColor(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/<\{%[^%]*%\}>/g, '').replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}
