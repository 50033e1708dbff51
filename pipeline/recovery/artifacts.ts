// Pre-flight of a rebuild or drill: every artifact the stack's release state names must still exist
// before anything is changed — as an image ID in the local Docker engine (Docker target), as a digest in
// its ECR repository (AWS). What to check is pure; where to look is a port, so tests stub it.
import { execa } from 'execa';
import { ECRClient, DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { SLOTS, type SlipwayConfig, type Slot } from '../../stacks/schema';
import { digestOf } from '../../components/slots';
import { firstLine, UserError } from '../cli/errors';

/** One slot's recorded release, as the pre-flight checks it. */
export interface SlotArtifact {
  slot: Slot;
  /** The reference pinned by digest, as in the stack file. */
  image: string;
  /** `sha256:<64 hex>`. */
  digest: string;
  version: string;
}

/** Where artifacts live: answers whether one still exists. Throws when it cannot tell. */
export interface ArtifactStore {
  /** Shown in the error: `the Docker engine`, `ECR`. */
  readonly where: string;
  exists(artifact: SlotArtifact): Promise<boolean>;
}

/** The artifacts the release state names, for all slots or the given ones; slots without a release are skipped. */
export function slotArtifacts(config: SlipwayConfig, slots: readonly Slot[] = SLOTS): SlotArtifact[] {
  const out: SlotArtifact[] = [];
  for (const slot of slots) {
    const r = config.release[slot];
    if (r.image && r.version) out.push({ slot, image: r.image, digest: digestOf(r.image), version: r.version });
  }
  return out;
}

/** The one error for missing artifacts: every missing digest and the slot that needs it. */
export function missingArtifactsMessage(stack: string, where: string, missing: readonly SlotArtifact[]): string {
  const list = missing.map((m) => `slot ${m.slot} needs ${m.digest} (${m.version})`).join(', ');
  return `stack ${stack}: ${missing.length === 1 ? 'an artifact' : `${missing.length} artifacts`} of its release state ${missing.length === 1 ? 'is' : 'are'} missing from ${where}: ${list}; nothing was changed (restore the image${missing.length === 1 ? '' : 's'}, or deploy a release that exists)`;
}

/** Checks every artifact; throws one UserError listing all that are missing. */
export async function preflightArtifacts(stack: string, artifacts: readonly SlotArtifact[], store: ArtifactStore): Promise<void> {
  const found = await Promise.all(artifacts.map((a) => store.exists(a)));
  const missing = artifacts.filter((_, i) => !found[i]);
  if (missing.length > 0) throw new UserError(missingArtifactsMessage(stack, store.where, missing));
}

/** Docker: the digest is the local image ID (see components/docker/slot.ts). */
export function dockerArtifactStore(): ArtifactStore {
  return {
    where: 'the Docker engine',
    async exists(a) {
      const r = await execa('docker', ['image', 'inspect', '--format', '{{.Id}}', a.digest], { reject: false });
      if (r.exitCode === 0) return r.stdout.trim() === a.digest;
      if (/no such image/i.test(r.stderr)) return false;
      throw new UserError(`cannot ask the Docker engine for ${a.digest} (slot ${a.slot}): ${firstLine(r.stderr || r.message)}; nothing was changed`);
    },
  };
}

/** `123456789012.dkr.ecr.us-east-1.amazonaws.com/shop-prod@sha256:…` → its registry, region and repository. */
export function ecrLocation(image: string): { registryId: string; region: string; repository: string } | undefined {
  const m = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^@:]+)(?::[^@]*)?@sha256:[a-f0-9]{64}$/.exec(image);
  return m ? { registryId: m[1]!, region: m[2]!, repository: m[3]! } : undefined;
}

/**
 * AWS: the digest in its ECR repository (DescribeImages). Needs credentials that may read the
 * repository; without them the pre-flight stops with one line saying so, having changed nothing.
 */
export function ecrArtifactStore(): ArtifactStore {
  const clients = new Map<string, ECRClient>();
  return {
    where: 'ECR',
    async exists(a) {
      const loc = ecrLocation(a.image);
      if (!loc) throw new UserError(`slot ${a.slot}: ${a.image} is not in an ECR repository, so its digest cannot be checked; nothing was changed`);
      let client = clients.get(loc.region);
      if (!client) clients.set(loc.region, (client = new ECRClient({ region: loc.region })));
      try {
        await client.send(new DescribeImagesCommand({ registryId: loc.registryId, repositoryName: loc.repository, imageIds: [{ imageDigest: a.digest }] }));
        return true;
      } catch (e) {
        const name = (e as { name?: string }).name;
        if (name === 'ImageNotFoundException' || name === 'RepositoryNotFoundException') return false;
        throw new UserError(`cannot check ${a.digest} (slot ${a.slot}) in ECR repository ${loc.repository}: ${firstLine(e)} (AWS credentials that may read it are needed); nothing was changed`);
      }
    },
  };
}

export function artifactStoreFor(config: SlipwayConfig): ArtifactStore {
  return config.target === 'aws' ? ecrArtifactStore() : dockerArtifactStore();
}
