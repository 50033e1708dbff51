// `npm run images:local`: local stand-ins for the two images Slipway pulls from a registry (the node
// base of app/ and the HAProxy router), built from this machine's own binaries, for machines without a
// registry. Prints one JSON line `{"node": REF, "haproxy": REF}`; pass them as `--base-image` and
// `slipway:router.image`. Reused when they already exist.
import { firstLine } from '../../pipeline/cli/errors';
import { ensureNodeBaseImage, requireDockerEngine } from './docker';
import { ensureHaproxyImage } from './haproxyImage';

try {
  await requireDockerEngine();
  const node = await ensureNodeBaseImage();
  const haproxy = await ensureHaproxyImage();
  console.log(JSON.stringify({ node: node.image, haproxy: haproxy.image }));
} catch (e) {
  console.error(`images:local: ${firstLine(e)}`);
  process.exitCode = 1;
}
