import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bitsFor, formatCidr, parseCidr, subnetLayout, type Cidr } from '../components/cidr';
import { SUBNET_PREFIX_MAX, VPC_PREFIX_MIN } from '../stacks/limits';

const parsed = (text: string): Cidr => {
  const c = parseCidr(text);
  if (typeof c === 'string') throw new Error(c);
  return c;
};

describe('parseCidr', () => {
  it('reads an aligned block', () => {
    expect(parseCidr('10.30.0.0/16')).toEqual({ base: 10 * 2 ** 24 + 30 * 2 ** 16, prefix: 16 });
    expect(parseCidr('0.0.0.0/0')).toEqual({ base: 0, prefix: 0 });
  });

  it('refuses malformed blocks with the example format', () => {
    for (const bad of ['10.0.0.0', '10.0.0/16', '10.0.0.256/24', '10.0.0.0/33', 'ten/8', ' 10.0.0.0/8']) {
      expect(parseCidr(bad)).toBe(`"${bad}" is not an IPv4 CIDR block like 10.0.0.0/16`);
    }
  });

  it('refuses numbers with leading zeros (octal to some tools), naming the plain form', () => {
    expect(parseCidr('010.010.0.0/16')).toBe('"010.010.0.0/16" has a number with a leading zero (read as octal by some tools); write 10.10.0.0/16');
    expect(parseCidr('10.0.0.0/08')).toBe('"10.0.0.0/08" has a number with a leading zero (read as octal by some tools); write 10.0.0.0/8');
    expect(parseCidr('0.0.0.0/0')).toEqual({ base: 0, prefix: 0 });
  });

  it('names the aligned block when host bits are set', () => {
    expect(parseCidr('10.30.1.0/16')).toBe('"10.30.1.0/16" has host bits set; the block starts at 10.30.0.0/16');
  });

  it('formats what it parses back to the same text', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (prefix, addr) => {
        const size = 2 ** (32 - prefix);
        const block = { base: addr - (addr % size), prefix };
        expect(parseCidr(formatCidr(block))).toEqual(block);
      }),
    );
  });
});

describe('bitsFor', () => {
  it('is the bits needed to number that many subnets', () => {
    expect([1, 2, 3, 4, 5, 8, 9, 12].map(bitsFor)).toEqual([0, 1, 2, 2, 3, 3, 4, 4]);
  });
});

describe('subnetLayout', () => {
  it('puts public subnets first, then private, all the same size', () => {
    expect(subnetLayout('10.30.0.0/16', 3)).toEqual({
      public: ['10.30.0.0/19', '10.30.32.0/19', '10.30.64.0/19'],
      private: ['10.30.96.0/19', '10.30.128.0/19', '10.30.160.0/19'],
    });
    expect(subnetLayout('10.10.0.0/16', 2)).toEqual({
      public: ['10.10.0.0/18', '10.10.64.0/18'],
      private: ['10.10.128.0/18', '10.10.192.0/18'],
    });
  });

  it('refuses a bad block or one too small', () => {
    expect(() => subnetLayout('10.0.0.1/16', 2)).toThrow('has host bits set');
    expect(() => subnetLayout('10.0.0.0/31', 2)).toThrow('10.0.0.0/31 is too small for 4 subnets');
  });

  // Every VPC the schema accepts: /16 to /28, with room for 2 x azCount subnets of /28 or larger.
  const vpcs = fc
    .record({
      prefix: fc.integer({ min: VPC_PREFIX_MIN, max: SUBNET_PREFIX_MAX }),
      azCount: fc.integer({ min: 2, max: 6 }),
      addr: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    })
    .filter(({ prefix, azCount }) => prefix + bitsFor(azCount * 2) <= SUBNET_PREFIX_MAX)
    .map(({ prefix, azCount, addr }) => {
      const size = 2 ** (32 - prefix);
      return { vpc: formatCidr({ base: addr - (addr % size), prefix }), azCount };
    });

  it('never overlaps, stays inside the VPC, and gives one public and one private subnet per AZ', () => {
    fc.assert(
      fc.property(vpcs, ({ vpc, azCount }) => {
        const layout = subnetLayout(vpc, azCount);
        expect(layout.public).toHaveLength(azCount);
        expect(layout.private).toHaveLength(azCount);
        const outer = parsed(vpc);
        const blocks = [...layout.public, ...layout.private].map(parsed);
        for (const b of blocks) {
          expect(b.prefix).toBeLessThanOrEqual(SUBNET_PREFIX_MAX);
          expect(b.prefix).toBe(blocks[0]!.prefix);
          expect(b.base).toBeGreaterThanOrEqual(outer.base);
          expect(b.base + 2 ** (32 - b.prefix)).toBeLessThanOrEqual(outer.base + 2 ** (32 - outer.prefix));
        }
        const sorted = [...blocks].sort((a, b) => a.base - b.base);
        for (let i = 1; i < sorted.length; i++) {
          const prev = sorted[i - 1]!;
          expect(sorted[i]!.base).toBeGreaterThanOrEqual(prev.base + 2 ** (32 - prev.prefix));
        }
      }),
    );
  });
});
