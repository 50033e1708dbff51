// IPv4 CIDR arithmetic for the VPC subnet layout. Pure, so the layout is unit-tested without mocks.
import { show } from '../stacks/show';

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  prefix: number;
}

const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
/** A number written with a leading zero (`010`): some tools read it as octal (8), others as 10. */
const LEADING_ZERO = /(^|[./])0\d/;

/** Parses `a.b.c.d/n`; returns an error string when it is not a valid, aligned IPv4 CIDR block. */
export function parseCidr(text: string): Cidr | string {
  const m = CIDR_RE.exec(text);
  if (!m) return `${show(text)} is not an IPv4 CIDR block like 10.0.0.0/16`;
  if (LEADING_ZERO.test(text)) {
    return `${show(text)} has a number with a leading zero (read as octal by some tools); write ${m.slice(1, 5).map(Number).join('.')}/${Number(m[5])}`;
  }
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return `${show(text)} is not an IPv4 CIDR block like 10.0.0.0/16`;
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) {
    return `${show(text)} has host bits set; the block starts at ${formatCidr({ base: base - (base % size), prefix })}`;
  }
  return { base, prefix };
}

export function formatCidr(c: Cidr): string {
  const o = [24, 16, 8, 0].map((s) => Math.floor(c.base / 2 ** s) % 256);
  return `${o.join('.')}/${c.prefix}`;
}

/** Extra prefix bits needed to cut `count` equal subnets out of one block. */
export function bitsFor(count: number): number {
  return Math.ceil(Math.log2(Math.max(1, count)));
}

/**
 * Splits a VPC block into one public and one private subnet per AZ, all the same size: public
 * subnets first (0..azCount-1), private after, so adding an AZ later keeps the existing ranges
 * only when the bit count does not grow — the schema fixes azCount per stack for that reason.
 */
export function subnetLayout(vpcCidr: string, azCount: number): { public: string[]; private: string[] } {
  const vpc = parseCidr(vpcCidr);
  if (typeof vpc === 'string') throw new Error(vpc);
  const prefix = vpc.prefix + bitsFor(azCount * 2);
  if (prefix > 32) throw new Error(`${vpcCidr} is too small for ${azCount * 2} subnets`);
  const size = 2 ** (32 - prefix);
  const subnet = (i: number) => formatCidr({ base: vpc.base + i * size, prefix });
  return {
    public: Array.from({ length: azCount }, (_, i) => subnet(i)),
    private: Array.from({ length: azCount }, (_, i) => subnet(azCount + i)),
  };
}
