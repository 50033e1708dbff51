// The versions the deploy page offers: every artifact the stacks' ledgers have deployed, and the local
// images `slipway build` (or `deploy --build`) made — those carry the OCI version label — newest first.
// Local images are Docker image IDs, deployable to Docker stacks; AWS stacks take registry digests.
import { REVISION_LABEL, VERSION_LABEL, artifactRef, execaRunner, type Runner } from '../release/build';
import { versionLabelProblem } from '../../stacks/schema';
import type { ConsoleState } from './state';

export interface KnownArtifact {
  ref: string;
  version: string;
  digest: string;
  /** Where it was found: a ledger (deployed before) or this host's Docker engine. */
  source: 'ledger' | 'local';
  /** Stacks whose ledgers deployed it. */
  stacks: string[];
  /** When it was last deployed, or the image was created. */
  at: string;
  commit?: string;
}

/** Most local images listed. */
export const LOCAL_IMAGES_MAX = 50;

/** Artifacts from every stack's ledger, one per reference, most recently deployed first. */
export async function ledgerArtifacts(state: ConsoleState): Promise<KnownArtifact[]> {
  const byRef = new Map<string, KnownArtifact>();
  for (const stack of state.stacks()) {
    const view = await state.ledgerView(stack).catch(() => undefined);
    for (const d of view?.deployments ?? []) {
      if (d.kind !== 'deploy' || !d.artifact) continue;
      const known = byRef.get(d.artifact);
      if (known) {
        if (!known.stacks.includes(stack)) known.stacks.push(stack);
        if (d.startedAt > known.at) known.at = d.startedAt;
      } else {
        byRef.set(d.artifact, { ref: d.artifact, version: d.version, digest: d.digest, source: 'ledger', stacks: [stack], at: d.startedAt, ...(d.commit ? { commit: d.commit } : {}) });
      }
    }
  }
  return [...byRef.values()].sort((a, b) => b.at.localeCompare(a.at));
}

/** `docker image inspect` lines of labelled images → artifacts (pure, for tests). */
export function parseInspectLines(text: string): KnownArtifact[] {
  const out: KnownArtifact[] = [];
  for (const line of text.split('\n')) {
    const [id = '', version = '', created = '', commit = '', tagsJson = '[]'] = line.split('\t');
    const tags = parseTags(tagsJson);
    const tag = tags.find((t) => t !== '' && t !== '<none>:<none>');
    if (!tag || !version || versionLabelProblem(version)) continue;
    const colon = tag.lastIndexOf(':');
    const repository = colon > tag.lastIndexOf('/') ? tag.slice(0, colon) : tag;
    try {
      out.push({ ref: artifactRef(repository, version, id), version, digest: id, source: 'local', stacks: [], at: created, ...(commit && commit !== '<no value>' ? { commit } : {}) });
    } catch {
      /* not a name a reference can carry: not offered */
    }
  }
  return out.sort((a, b) => b.at.localeCompare(a.at)).slice(0, LOCAL_IMAGES_MAX);
}

function parseTags(json: string): string[] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

/** Local images with the version label, or [] (and why) when Docker cannot be asked. */
export async function localImages(run: Runner = execaRunner): Promise<{ images: KnownArtifact[]; problem?: string }> {
  const ls = await run('docker', ['image', 'ls', '--no-trunc', '--quiet', '--filter', `label=${VERSION_LABEL}`], {});
  if (ls.exitCode !== 0) return { images: [], problem: ls.startError === 'ENOENT' ? 'docker is not installed' : 'the Docker engine did not answer' };
  const ids = [...new Set(ls.stdout.split('\n').map((l) => l.trim()).filter((l) => /^sha256:[a-f0-9]{64}$/.test(l)))];
  if (ids.length === 0) return { images: [] };
  const format = `{{.Id}}\t{{index .Config.Labels "${VERSION_LABEL}"}}\t{{.Created}}\t{{index .Config.Labels "${REVISION_LABEL}"}}\t{{json .RepoTags}}`;
  const inspect = await run('docker', ['image', 'inspect', '--format', format, ...ids.slice(0, 200)], {});
  if (inspect.exitCode !== 0) return { images: [], problem: 'docker image inspect failed' };
  return { images: parseInspectLines(inspect.stdout) };
}

/** Both lists merged, newest first; a local image a ledger knows is shown once, as the ledger's. Docker is asked at most every `ttlMs`. */
export class ArtifactCatalog {
  private cached: { at: number; value: Promise<{ images: KnownArtifact[]; problem?: string }> } | undefined;

  constructor(
    private readonly state: ConsoleState,
    private readonly run: Runner = execaRunner,
    private readonly ttlMs = 15_000,
    private readonly now: () => number = Date.now,
  ) {}

  async list(): Promise<{ artifacts: KnownArtifact[]; problem?: string }> {
    if (!this.cached || this.now() - this.cached.at > this.ttlMs) this.cached = { at: this.now(), value: localImages(this.run) };
    const [known, local] = await Promise.all([ledgerArtifacts(this.state), this.cached.value]);
    const refs = new Set(known.map((a) => a.ref));
    const artifacts = [...local.images.filter((a) => !refs.has(a.ref)), ...known].sort((a, b) => b.at.localeCompare(a.at));
    return { artifacts, ...(local.problem ? { problem: local.problem } : {}) };
  }
}
