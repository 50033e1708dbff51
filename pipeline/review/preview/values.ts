// Property values for display: secrets and unknowns masked (also anything below them), assets and
// resource references as short labels, the rest as compact one-line JSON.
import { isObject, type Json } from './json';
import { parsePath } from './propertyPath';
import { parseUrn } from './urn';

/** Signature keys of Pulumi's serialized special values (sdk/go/common/resource/sig). */
const SIG = '4dabf18193072939515e22adb298388d';
const SIG_SECRET = '1b47061264138c4ac30d75fd1eb44270';
const SIG_ASSET = 'c44067f5952c0a294b673a41bacd8c17';
const SIG_ARCHIVE = '0def7320c3a5731c473e5ecbe6d01bc7';
const SIG_RESOURCE = '5cf8f73096256a8f31e491e813e4eb8e';
const SIG_OUTPUT = 'd0e6a833031e9bbcd3f4e8bde6ca49a4';
/** What the engine writes for a value not known until the resource exists. */
export const UNKNOWN_VALUE = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';

/** A value shown as a label rather than as data. */
class Label {
  constructor(readonly text: string) {}
}
const SECRET = new Label('[secret]');
const UNKNOWN = new Label('[unknown]');
export const MISSING = Symbol('missing');

/**
 * The display form of a serialized property value: secrets (either the engine's `[secret]` mask or a
 * secret envelope, whatever it holds) become `[secret]`, unknowns `[unknown]`, assets short labels.
 */
function classify(v: unknown): unknown {
  if (v === '[secret]') return SECRET;
  if (v === UNKNOWN_VALUE) return UNKNOWN;
  if (!isObject(v) || !(SIG in v)) return v;
  switch (v[SIG]) {
    case SIG_SECRET:
      return SECRET;
    case SIG_OUTPUT:
      if (v.secret === true) return SECRET;
      return 'value' in v ? classify(v.value) : UNKNOWN;
    case SIG_ASSET:
      return new Label(`asset(${typeof v.path === 'string' ? v.path : typeof v.uri === 'string' ? v.uri : hashLabel(v.hash)})`);
    case SIG_ARCHIVE:
      return new Label(`archive(${typeof v.path === 'string' ? v.path : typeof v.uri === 'string' ? v.uri : hashLabel(v.hash)})`);
    case SIG_RESOURCE:
      return new Label(`resource(${typeof v.urn === 'string' ? parseUrn(v.urn).name : '?'})`);
    default:
      return v;
  }
}

const hashLabel = (h: unknown) => (typeof h === 'string' && h ? `${h.slice(0, 12)}…` : '…');

export function lookup(root: unknown, path: string): unknown {
  if (root === undefined) return MISSING;
  let cur: unknown = root;
  for (const seg of parsePath(path)) {
    cur = classify(cur);
    // Anything below a secret is secret, anything below an unknown unknown.
    if (cur instanceof Label) return cur === SECRET || cur === UNKNOWN ? cur : MISSING;
    if (Array.isArray(cur) && typeof seg === 'number') cur = cur[seg];
    else if (isObject(cur) && typeof seg === 'string' && Object.hasOwn(cur, seg)) cur = cur[seg];
    else if (isObject(cur) && typeof seg === 'number' && Object.hasOwn(cur, String(seg))) cur = cur[String(seg)];
    else return MISSING;
  }
  return cur === undefined ? MISSING : classify(cur);
}

/** Longest value shown in a property cell. */
export const MAX_VALUE_CHARS = 60;
const COMPUTED_PLACEHOLDER = /^<computed:[^>]+>$/;

/** Compact one-line form of a value, at most MAX_VALUE_CHARS. Secrets never get past classify(). */
export function showValue(v: unknown): string {
  const text = render(v, MAX_VALUE_CHARS + 1);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS - 1)}…` : text;
}

function render(raw: unknown, budget: number): string {
  const v = classify(raw);
  if (v instanceof Label) return v.text;
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return COMPUTED_PLACEHOLDER.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  const parts: string[] = [];
  let used = 2;
  const items: [string | undefined, unknown][] = Array.isArray(v)
    ? v.map((x) => [undefined, x])
    : Object.entries(v as Json).filter(([k]) => k !== '__defaults').map(([k, x]) => [k, x]);
  for (const [k, x] of items) {
    if (used > budget) {
      parts.push('…');
      break;
    }
    const part = `${k !== undefined ? `${/^[A-Za-z_$][\w$-]*$/.test(k) ? k : JSON.stringify(k)}: ` : ''}${render(x, budget - used)}`;
    parts.push(part);
    used += part.length + 2;
  }
  return Array.isArray(v) ? `[${parts.join(', ')}]` : `{${parts.join(', ')}}`;
}
