// Where a stack's application is reached without asking the engine: a Docker stack publishes its
// ports on this host (public: the live slot, test: the idle one). An AWS stack's URLs are the load
// balancer's, known only from the stack's outputs (`publicUrl`, `testUrl`).
import type { SlipwayConfig } from '../../stacks/schema';

export interface StackUrls {
  publicUrl: string | null;
  testUrl: string | null;
}

export function knownUrls(config: SlipwayConfig): StackUrls {
  return config.target === 'docker'
    ? { publicUrl: `http://localhost:${config.ports.public}`, testUrl: `http://localhost:${config.ports.test}` }
    : { publicUrl: null, testUrl: null };
}
