// The shapes every type of the aws double shares: what an ID may depend on, what a type declares, and
// the stable "random" parts of AWS IDs. Apart from resources.ts so the type tables can be split by area.
import { stableHash } from '../common';

/** What an ID or output may depend on. */
export interface AwsContext {
  urn: string;
  /** Logical name (from the URN). */
  name: string;
  region: string;
  account: string;
  inputs: Record<string, any>;
}

export interface AwsTypeSpec {
  /** Inputs whose change needs a new object (ForceNew upstream); `all-but-tags`: every input but tags. */
  replaceOn: readonly string[] | 'all-but-tags';
  /** Inputs check insists on. */
  required?: readonly string[];
  /** Pulumi autonaming: the property filled with `<logical name>-<7 hex>` when absent. */
  autoName?: { property: string; maxLength: number };
  /** The ID and the computed outputs (inputs are added back by the provider). */
  make: (ctx: AwsContext) => { id: string; outs: Record<string, unknown> };
}

/** Hex digits derived from the URN (and `salt`): the random part of an AWS ID, made stable. */
export function hexOf(ctx: Pick<AwsContext, 'urn'>, length: number, salt = ''): string {
  let hex = '';
  for (let i = 0; hex.length < length; i++) hex += stableHash(ctx.urn, salt, String(i));
  return hex.slice(0, length);
}

/** Decimal digits derived from the URN, for IDs AWS makes of digits (DNS names, route IDs). */
export function digitsOf(ctx: Pick<AwsContext, 'urn'>, length: number, salt = ''): string {
  return BigInt(`0x${hexOf(ctx, 32, salt)}`).toString().padStart(length, '0').slice(0, length);
}
