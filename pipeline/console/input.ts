// What the console's routes accept, as zod schemas built from the pipeline's own rules (stack names,
// version labels, image references, deployment ids) — never a second copy of them. A bad request gets
// 400 and one line naming the field: `stack: "Prod" must be 1-10 characters of [a-z0-9-], …`.
import { z } from 'zod';
import { versionLabelProblem } from '../../stacks/schema';
import { show } from '../../stacks/show';
import { stackNameProblem } from '../../stacks/validate';
import { firstLine } from '../cli/errors';
import { DEPLOYMENT_ID_RE } from '../ledger/events';
import { parseImageRef } from '../release/build';
import { badRequest } from './httpError';

/** Largest request body the console reads, bytes (a form with a comment is far below it). */
export const BODY_LIMIT = 16 * 1024;
/** Longest comment or reason recorded with a decision. */
export const COMMENT_MAX = 500;

const text = z.string({ error: (i) => (i.input === undefined ? 'missing (required)' : `${show(i.input)} is not text`) });

/** A string field checked by one of the pipeline's `…Problem` functions. */
function checkedBy(problem: (s: string) => string | undefined) {
  return text.max(512, { error: 'is longer than 512 characters' }).superRefine((s, ctx) => {
    const p = problem(s);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  });
}

export const stackField = checkedBy(stackNameProblem);
export const versionField = checkedBy(versionLabelProblem);
export const artifactField = checkedBy((s) => {
  try {
    parseImageRef(s);
    return undefined;
  } catch (e) {
    return firstLine(e);
  }
});
export const deploymentIdField = text.regex(DEPLOYMENT_ID_RE, { error: (i) => `${show(i.input)} is not a deployment id (1-100 of letters, digits, _ . -)` });

/** `j-20250301-100000-0a1b`: a console job (one run of a slipway command). */
export const JOB_ID_RE = /^j-\d{8}-\d{6}-[0-9a-f]{4}$/;
export const jobIdField = text.regex(JOB_ID_RE, { error: (i) => `${show(i.input)} is not a job id` });

/** Optional one-line text; an empty form field counts as absent. */
const note = z.preprocess(
  (v) => (v === '' ? undefined : v),
  text
    .max(COMMENT_MAX, { error: `is longer than ${COMMENT_MAX} characters` })
    .regex(/^[^\u0000-\u001f\u007f-\u009f\u2028\u2029]*$/, { error: 'must be one line of text (no control characters)' })
    .optional(),
);

/** A path on this console to go to after signing in (never another site). */
const localPath = z.preprocess(
  (v) => (v === '' ? undefined : v),
  text.max(512).regex(/^\/(?![/\\])[\x21-\x7e]*$/, { error: 'must be a path on this console' }).optional(),
);

export const signInBody = z.strictObject({
  name: text.min(1, { error: 'missing (required)' }).max(254, { error: 'is longer than 254 characters' }),
  password: text.min(1, { error: 'missing (required)' }).max(1024, { error: 'is longer than 1024 characters' }),
  next: localPath,
});

export const signInQuery = z.strictObject({ next: localPath });

export const deployBody = z.strictObject({
  stack: stackField,
  artifact: artifactField,
  /** Default: the reference's tag. */
  version: z.preprocess((v) => (v === '' ? undefined : v), versionField.optional()),
});

export const approveBody = z.strictObject({ comment: note });
export const rejectBody = z.strictObject({ reason: note });
export const emptyBody = z.strictObject({});

export const stackParams = z.strictObject({ stack: stackField });
export const deploymentParams = z.strictObject({ stack: stackField, id: deploymentIdField });
export const jobParams = z.strictObject({ job: jobIdField });

export const reviewQuery = z.strictObject({ stack: stackField, artifact: artifactField, version: deployBody.shape.version });
export const deployFormQuery = z.strictObject({ stack: z.preprocess((v) => (v === '' ? undefined : v), stackField.optional()) });
export const eventsQuery = z.strictObject({ from: z.preprocess((v) => (v === undefined || v === '' ? 0 : Number(v)), z.number().int().min(0).max(1e7)) });

function keyOf(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.') || 'body';
}

/**
 * `value` parsed by `schema`, or a 400 naming the first field at fault. `where` labels a value that
 * is not an object at all (`body: must be …`).
 */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, where: 'body' | 'query' | 'params'): z.output<T> {
  const r = schema.safeParse(value ?? {}, { reportInput: true });
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') throw badRequest(`${issue.keys[0] ?? '?'}: unknown field`);
  if (issue.path.length === 0) throw badRequest(`${where}: must be an object of fields (JSON or a form)`);
  throw badRequest(`${keyOf(issue.path)}: ${issue.message}`);
}
