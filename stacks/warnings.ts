// What a valid stack file may still get wrong: settings the schema accepts but a reviewer should see.
// `slipway validate` prints them as warnings; they never fail it.
import type { SlipwayConfig } from './schema';
import { NAMESPACE } from './validate';

export interface StackWarning {
  /** The key the warning is about, e.g. `slipway:domain`. */
  key: string;
  message: string;
}

/** Warnings for a validated configuration, in a stable order. */
export function stackWarnings(config: SlipwayConfig): StackWarning[] {
  const warnings: StackWarning[] = [];
  // A stack whose switches wait for a person is a production stack: it should not serve plain HTTP.
  if (config.target === 'aws' && config.promotion.approval === 'manual' && config.domain === undefined) {
    warnings.push({
      key: `${NAMESPACE}:domain`,
      message: 'not set on a stack with promotion.approval manual (production): it serves plain HTTP on port 80; set a domain for HTTPS',
    });
  }
  return warnings;
}
