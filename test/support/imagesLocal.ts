// `npm run images:local`: local stand-ins for the two images Slipway pulls from a registry (the node
// base of app/ and the nginx router), built from this machine's own binaries, for machines without a
// registry. Prints one JSON line `{"node": REF, "nginx": REF}`; pass them as `--base-image` and
// `slipway:router.image`. Reused when they already exist.
import { firstLine } from '../../pipeline/cli/errors';
import { ensureNodeBaseImage, requireDockerEngine } from './docker';
import { ensureNginxImage } from './nginxImage';

try {
  await requireDockerEngine();
  const node = await ensureNodeBaseImage();
  const nginx = await ensureNginxImage();
  console.log(JSON.stringify({ node: node.image, nginx: nginx.image }));
} catch (e) {
  console.error(`images:local: ${firstLine(e)}`);
  process.exitCode = 1;
}
