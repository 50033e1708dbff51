// Values as every review command (plan, plan --diff, parity, drift, preview) reads and shows them: JSON
// narrowing, Pulumi property paths, URNs, secret masking and the one-line display form. One home, so a
// secret masked in one command is masked in all of them.

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isScalar = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);

// ---------------------------------------------------------------------------------------------
// Secrets and Pulumi's other serialized special values (sdk/go/common/resource/sig)

export const SIG = '4dabf18193072939515e22adb298388d';
export const SIG_SECRET = '1b47061264138c4ac30d75fd1eb44270';
const SIG_ASSET = 'c44067f5952c0a294b673a41bacd8c17';
const SIG_ARCHIVE = '0def7320c3a5731c473e5ecbe6d01bc7';
const SIG_RESOURCE = '5cf8f73096256a8f31e491e813e4eb8e';
const SIG_OUTPUT = 'd0e6a833031e9bbcd3f4e8bde6ca49a4';
/** What the engine writes for a value not known until the resource exists. */
export const UNKNOWN_VALUE = '04da6b54-80e4-46f7-96ec-b56ff0331ba9';
/** How a secret is shown everywhere: the engine's own mask. */
export const SECRET_TEXT = '[secret]';

/** A value marked secret, as the SDK serializes it (and as the offline plan records secret inputs). */
export function secretValue(value: unknown): Json {
  return { [SIG]: SIG_SECRET, value };
}

/** Marked secret by the program (an envelope, or an output value flagged secret) or masked by the engine. */
export function isSecret(v: unknown): boolean {
  if (v === SECRET_TEXT) return true;
  if (!isObject(v)) return false;
  return v[SIG] === SIG_SECRET || (v[SIG] === SIG_OUTPUT && v.secret === true);
}

/** A stack file's encrypted value: `{secure: "v1:…"}`. Only config values are read this way. */
export function isSecureConfig(v: unknown): v is { secure: string } {
  return isObject(v) && typeof v.secure === 'string' && Object.keys(v).length === 1;
}

/** Every secret in a value (at any depth) replaced by `[secret]`: what `--json` prints. */
export function maskSecrets<T>(v: T): T {
  if (isSecret(v)) return SECRET_TEXT as T;
  if (Array.isArray(v)) return v.map((x: unknown) => maskSecrets(x)) as T;
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskSecrets(x)])) as T;
  return v;
}

/**
 * Each secret's value replaced by a digest of it: still compared (a changed secret is a change), but
 * its plaintext never written to disk (plan --diff passes plans between processes through a file).
 */
export function digestSecrets<T>(v: T, digest: (text: string) => string): T {
  if (isObject(v) && v[SIG] === SIG_SECRET) return secretValue(digest(JSON.stringify(v.value) ?? '')) as T;
  if (Array.isArray(v)) return v.map((x: unknown) => digestSecrets(x, digest)) as T;
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, digestSecrets(x, digest)])) as T;
  return v;
}

/** `secure:` config values (at any depth) turned into secret envelopes of their ciphertext. */
export function secureAsSecret(v: unknown): unknown {
  if (isSecureConfig(v)) return secretValue(v.secure);
  if (Array.isArray(v)) return v.map(secureAsSecret);
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, secureAsSecret(x)]));
  return v;
}

// ---------------------------------------------------------------------------------------------
// Property paths: `ingress[1].fromPort`, `tags["cost-center"]`

/** `a.b[0]["c.d"]` → `['a', 'b', 0, 'c.d']`. Unparseable text becomes one segment. */
export function parsePath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  let i = 0;
  let name = '';
  const flush = () => {
    if (name !== '') out.push(name);
    name = '';
  };
  while (i < path.length) {
    const c = path[i]!;
    if (c === '.') {
      flush();
      i++;
    } else if (c === '[') {
      flush();
      const quoted = path[i + 1] === '"';
      const close = quoted ? closingQuote(path, i + 2) : path.indexOf(']', i);
      if (close < 0) return [path];
      if (quoted) {
        try {
          out.push(JSON.parse(path.slice(i + 1, close + 1)) as string);
        } catch {
          return [path];
        }
        i = close + 2; // past `"]`
      } else {
        const inner = path.slice(i + 1, close);
        out.push(/^\d+$/.test(inner) ? Number(inner) : inner);
        i = close + 1;
      }
    } else {
      name += c;
      i++;
    }
  }
  flush();
  return out;
}

function closingQuote(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return s[i + 1] === ']' ? i : -1;
  }
  return -1;
}

/** `["healthCheck", "interval"]` → `healthCheck.interval`; `["tags", "cost-center"]` → `tags["cost-center"]`. */
export function formatPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(s) || /^\[\w+\]$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

export const MISSING = Symbol('missing');

/**
 * The value at `path`, or MISSING. A secret on the way is `[secret]` (anything below it is secret),
 * an unknown on the way is unknown; the value itself comes back as it is, for showValue to label.
 */
export function lookup(root: unknown, path: string): unknown {
  if (root === undefined) return MISSING;
  let cur: unknown = root;
  for (const seg of parsePath(path)) {
    const c = classify(cur);
    if (c === SECRET) return SECRET_TEXT;
    if (c === UNKNOWN) return UNKNOWN_VALUE;
    if (c instanceof Label) return MISSING;
    cur = c;
    if (Array.isArray(cur) && typeof seg === 'number') cur = cur[seg];
    else if (isObject(cur) && typeof seg === 'string' && Object.hasOwn(cur, seg)) cur = cur[seg];
    else if (isObject(cur) && typeof seg === 'number' && Object.hasOwn(cur, String(seg))) cur = cur[String(seg)];
    else return MISSING;
  }
  return cur === undefined ? MISSING : cur;
}

/**
 * Whether `path` is `outer` or lies under it: `tags.owner` and `envs[2]` under `tags` and `envs`, a
 * knob label `slipway:capacity.cpu` under `slipway:capacity`; not `desiredCountX` under `desiredCount`.
 */
export function isWithin(path: string, outer: string): boolean {
  return path === outer || path.startsWith(`${outer}.`) || path.startsWith(`${outer}[`);
}

// ---------------------------------------------------------------------------------------------
// URNs and type tokens

export interface ParsedUrn {
  stack?: string;
  project?: string;
  /** The resource's own type (the last of the `$`-joined parent chain). */
  type?: string;
  name: string;
}

/** `urn:pulumi:STACK::PROJECT::[PARENT$]TYPE::NAME` — the name may itself contain `::`. */
export function parseUrn(urn: string): ParsedUrn {
  const parts = urn.split('::');
  const head = parts[0] ?? '';
  if (!head.startsWith('urn:pulumi:') || parts.length < 4) return { name: urn };
  const qualified = parts[2] ?? '';
  return { stack: head.slice('urn:pulumi:'.length), project: parts[1], type: qualified.split('$').pop(), name: parts.slice(3).join('::') };
}

/** The logical name of a URN (undefined stays undefined). */
export function nameOfUrn<T extends string | undefined>(urn: T): T {
  return (urn === undefined ? undefined : parseUrn(urn).name) as T;
}

/** `aws:lb/targetGroup:TargetGroup` → `aws:lb:TargetGroup` (the module's member part repeats the name). */
export function shortType(type: string): string {
  const m = /^([^:]+):([^:/]+)\/([^:]+):(.+)$/.exec(type);
  if (!m) return type;
  const [, pkg, mod, member, name] = m;
  return member!.toLowerCase() === name!.toLowerCase() ? `${pkg}:${mod}:${name}` : type;
}

/** The stack named by the first well-formed URN. */
export function stackOf(urns: readonly string[]): string | undefined {
  for (const urn of urns) {
    const stack = parseUrn(urn).stack;
    if (stack) return stack;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Display

/** A value shown as a label rather than as data. */
class Label {
  constructor(readonly text: string) {}
}
const SECRET = new Label(SECRET_TEXT);
const UNKNOWN = new Label('[unknown]');

/** Secrets (whatever they hold) become `[secret]`, unknowns `[unknown]`, assets and references short labels. */
function classify(v: unknown): unknown {
  if (v === SECRET_TEXT) return SECRET;
  if (v === UNKNOWN_VALUE) return UNKNOWN;
  if (!isObject(v) || !(SIG in v)) return v;
  const where = () => (typeof v.path === 'string' ? v.path : typeof v.uri === 'string' ? v.uri : hashLabel(v.hash));
  switch (v[SIG]) {
    case SIG_SECRET:
      return SECRET;
    case SIG_OUTPUT:
      if (v.secret === true) return SECRET;
      return 'value' in v ? classify(v.value) : UNKNOWN;
    case SIG_ASSET:
      return new Label(`asset(${where()})`);
    case SIG_ARCHIVE:
      return new Label(`archive(${where()})`);
    case SIG_RESOURCE:
      return new Label(`resource(${typeof v.urn === 'string' ? parseUrn(v.urn).name : '?'})`);
    default:
      return v;
  }
}

const hashLabel = (h: unknown) => (typeof h === 'string' && h ? `${h.slice(0, 12)}…` : '…');

/** Longest value shown by default (a preview's property cell; plan diffs allow more). */
export const MAX_VALUE_CHARS = 60;
const COMPUTED_PLACEHOLDER = /^<computed:[^>]+>$/;

/**
 * Compact one-line form of a value, at most `max` characters: strings as JSON, the offline plan's
 * `<computed:…>` placeholders as they are, `(unset)` for an absent value. Secrets never get past classify().
 */
export function showValue(v: unknown, max = MAX_VALUE_CHARS): string {
  if (v === undefined) return '(unset)';
  const text = render(v, max + 1);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
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
    // Stop once the budget is spent: a 70,000-element list costs no more than a short one.
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
