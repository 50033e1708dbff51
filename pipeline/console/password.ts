// Password hashes for console users: scrypt (node:crypto), stored as a PHC-style string
// `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64, no padding) so the cost travels with the hash and can
// be raised later without breaking existing ones. `slipway console hash-password` makes them.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** The cost of new hashes: 2^15 iterations, 32 MiB of memory, about 50-100 ms per check. */
export const DEFAULT_COST = { ln: 15, r: 8, p: 1 } as const;

export interface ScryptCost {
  /** log2 of scrypt's N. */
  ln: number;
  r: number;
  p: number;
}

const HASH_RE = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{43,})$/;
const KEY_BYTES = 32;

/** The parts of a hash string, or undefined when it is not one this module makes. */
export function parseHash(text: string): { cost: ScryptCost; salt: Buffer; hash: Buffer } | undefined {
  const m = HASH_RE.exec(text);
  if (!m) return undefined;
  const cost = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (cost.ln < 10 || cost.ln > 20 || cost.r < 1 || cost.p < 1) return undefined;
  return { cost, salt: Buffer.from(m[4]!, 'base64'), hash: Buffer.from(m[5]!, 'base64') };
}

export function isPasswordHash(text: string): boolean {
  return parseHash(text) !== undefined;
}

function derive(password: string, salt: Buffer, cost: ScryptCost, length: number): Promise<Buffer> {
  const opts: ScryptOptions = { N: 2 ** cost.ln, r: cost.r, p: cost.p, maxmem: 256 * 2 ** 20 };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, length, opts, (e, key) => (e ? reject(e) : resolve(key))));
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

/** A new hash of `password` with a random salt. */
export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost, KEY_BYTES);
  return `$scrypt$ln=${cost.ln},r=${cost.r},p=${cost.p}$${b64(salt)}$${b64(key)}`;
}

/** A hash no password matches, checked against when the user is unknown so timing tells nothing. */
const DECOY = `$scrypt$ln=${DEFAULT_COST.ln},r=8,p=1$${'A'.repeat(22)}$${'A'.repeat(43)}`;

/** Whether `password` matches `stored`; with no stored hash, spends the same time and says no. */
export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const parsed = parseHash(stored ?? DECOY) ?? parseHash(DECOY)!;
  const key = await derive(password, parsed.salt, parsed.cost, parsed.hash.length);
  return stored !== undefined && key.length === parsed.hash.length && timingSafeEqual(key, parsed.hash);
}
