// Pulumi property paths (`ingress[1].fromPort`, `tags["team"]`) split into segments.

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
      const close = path[i + 1] === '"' ? closingQuote(path, i + 2) : path.indexOf(']', i);
      if (close < 0) return [path];
      if (path[i + 1] === '"') {
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
