// pulumi-resource-docker, the test double: a resource plugin the Pulumi engine launches (through
// test/providers/bin/pulumi-resource-docker) instead of the real Docker provider, which this machine
// cannot download. It creates, reads, updates and deletes real networks, containers and images on the
// local Docker engine with the docker CLI, for the types and inputs Slipway's program uses
// (components/docker/*.ts). It reports the @pulumi/docker version package-lock.json installs.
//
// What it assumes about the real provider, and where that comes from. "real" is pulumi/pulumi-docker
// v5 (provider/resources.go), which bridges kreuzwerker/terraform-provider-docker v4.5.0 (the
// `upstream` submodule, commit 5074970), files under internal/provider/:
//
// Container (resource_docker_container.go schema, resource_docker_container_funcs.go)
// - Replace on change: name, image, envs, labels, networksAdvanced, ports, uploads, stopSignal (all
//   ForceNew; stopSignal is also Computed: absent, the image's STOPSIGNAL reads back, not a change).
//   Update in place: restart and memory (the only updatable inputs the program uses; the real list is
//   restart, max_retry_count, cpu_shares, memory, memory_reservation, cpu_set, memory_swap, device_*),
//   applied with `docker update` as resourceDockerContainerUpdate's ContainerUpdate does, and mustRun.
//   Like it, the update sends no swap limit, so Docker keeps the one it set at creation (twice the
//   memory) and refuses a memory above it: raising memory more than twofold fails ("Memory limit
//   should be smaller than already set memoryswap limit"), as it would with the real provider.
// - Replacement deletes first: resources.go sets DeleteBeforeReplace for docker_container (a fixed
//   container name cannot exist twice in Docker).
// - envs and labels are sets (order is irrelevant) and Optional+Computed (absent: no change). ports is
//   a list, ip defaulting to 0.0.0.0 and protocol to tcp. Absent restart means "no", memory 0; check
//   fills mustRun's default (true) into the inputs, as the bridge fills schema defaults.
// - Create (resourceDockerContainerCreate): find the image (local first, else pull), create, join the
//   networks with their aliases, copy each upload in as a tar at / (mode 0644), start. Here a failure
//   after `docker create` removes the container (the real one leaves it to the state as tainted).
// - Read (resourceDockerContainerRead): a container that no longer exists reads as gone (empty ID), so
//   refresh drops it and the next up creates it. A stopped container reads mustRun false (must_run set
//   to false in state), so the next up shows an update that starts it, with exitCode set. name, image
//   (the ID when given by ID, else Config.Image), restart and memory are read from Docker.
// - Stricter than the real one, which keeps env and labels from its state ("taken over from the Docker
//   image", issue 242): envs and labels are Docker's minus what the image set, so an out-of-band change
//   shows as drift; networksAdvanced drops networks or aliases the container no longer has.
// - Delete (resourceDockerContainerDelete): stop and remove forced, with volumes; already gone is fine.
// - The real provider autonames a container without a name (resources.go SetAutonaming); the double
//   rejects it in check instead: the program always names its containers. Check also rejects any
//   input the double does not implement (e.g. command, volumes), naming it, so none is dropped silently.
//
// Network (resource_docker_network.go, resource_docker_network_funcs.go)
// - Every input forces a replacement (all ForceNew, no UpdateContext). Replacement deletes first: the
//   bridge does so for a user-given autonamed field (pulumi-terraform-bridge pkg/tfbridge/schema.go
//   nameRequiresDeleteBeforeReplace), and Docker refuses a second network with the name.
// - Read: name, driver, labels, scope, internal and IPAM from Docker; a missing network is gone (the
//   real one treats every inspect error so; the double only a network that is not listed).
// - Delete: waits up to 30 s while containers still hold endpoints on it
//   (resourceDockerNetworkRemoveRefreshFunc, "has active endpoints").
//
// RemoteImage (docker_image: resource_docker_image.go, resource_docker_image_funcs.go)
// - name forces a replacement; keepLocally updates in place (the update only finds the image again).
//   Create-before-delete on replacement (no DeleteBeforeReplace; name is required, not autonamed).
// - Create (findImage): an image that exists locally under the name is used as is, never pulled, so a
//   local-only image works offline; otherwise one `docker pull`, bounded here by 30 s, and a clear error
//   naming the image when that fails. ID = image ID + name; imageId is the `sha256:…` image ID;
//   repoDigest follows determineRepoDigest ('' for a local-only image).
// - Read: no local image by that name reads as gone; a name now pointing at another image reads with
//   the new image ID (and resource ID).
// - Delete (removeImage): keepLocally leaves the image; otherwise the name is removed, not forced. The
//   real one fails when a container still uses the image; the double warns and leaves it (as asked).
//
// Engine protocol (sdk/go/common/resource/plugin/provider_plugin.go, @pulumi/pulumi/provider/server.js)
// - Diff answers with a detailed diff (serve.ts), kinds update / update-replace, entries comparing the
//   state (as last read from Docker) with the new inputs. A value unknown during preview counts as
//   changed, so a container whose image is being replaced previews as replaced.
// - CheckConfig and DiffConfig stay unimplemented: the engine then accepts the configuration as given
//   and never replaces the provider. The provider configuration (host, registryAuth) is ignored: the
//   docker CLI follows DOCKER_HOST itself.
import { serve } from '../serve';
import { dockerProvider } from './provider';

await serve(dockerProvider(), process.argv.slice(2));
