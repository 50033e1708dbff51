// Pulumi URNs and type tokens: which stack, which resource, and a short type for display.

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
