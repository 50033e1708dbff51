// The building blocks of the schema's fields: each refuses bad input with a message that says what was
// given and what is allowed. Shared by stacks/schema.ts and the modules it is assembled from.
import { z } from 'zod';
import { kindOf, show } from './show';

/** `"8080" is a string, expected a whole number from 1 to 65535`: what was given, and what is allowed. */
export function wrongType(input: unknown, expected: string): string {
  return input === null ? `empty, expected ${expected}` : `${show(input)} is ${kindOf(input)}, expected ${expected}`;
}

/** A whole number from `min` to `max`. */
export const int = (min: number, max: number) =>
  z
    .number({ error: (i) => wrongType(i.input, `a whole number from ${min} to ${max}`) })
    .int({ error: (i) => `${show(i.input)} is not a whole number (${min} to ${max})` })
    .min(min, { error: (i) => `${show(i.input)} is below the minimum ${min}` })
    .max(max, { error: (i) => `${show(i.input)} is above the maximum ${max}` });

/** A string; `what` names it in the message for another type (`an app name`). */
export const str = (what: string) => z.string({ error: (i) => wrongType(i.input, `${what} (a string)`) });

export const notEmpty = { error: () => 'must not be empty' };

/** One of a fixed list of values; the message lists them (the configuration reference reads it). */
export function oneOf<T extends string | number>(values: readonly T[], what: string) {
  return z.custom<T>((v) => (values as readonly unknown[]).includes(v), {
    error: (i) => `${show(i.input)} is not ${what} (${values.join(', ')})`,
  });
}
