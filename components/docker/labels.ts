// Docker labels from Slipway's tag maps (the provider takes a list of {label, value}).
import type * as docker from '@pulumi/docker';

export function dockerLabels(tags: Record<string, string>): docker.types.input.ContainerLabel[] {
  return Object.entries(tags)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([label, value]) => ({ label, value }));
}
