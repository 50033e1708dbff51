// Runs a double as a Pulumi resource plugin: the SDK's provider server (`provider.main`) with three of
// its gRPC handlers replaced, because the SDK server cannot say what the doubles must say.
//
// - Diff: the SDK answers without a detailed diff and drops the old inputs the engine sends, so
//   `pulumi preview --diff` could not show which properties change or which ones force a replacement.
// - Configure: the SDK ignores the provider configuration (aws needs `region`) and accepts secrets,
//   resource references and output values, which the doubles would then receive as wrapped objects.
//   Declining them makes the engine send plain values and re-mark secret outputs itself
//   (sdk/go/common/resource/plugin/provider_plugin.go, annotateSecrets).
//
// The handlers are swapped on the service object the SDK registers, through the gRPC module instance
// the SDK itself loaded (a second copy would never see its server). Everything else — Check, Create,
// Read, Update, Delete, Invoke, GetPluginInfo and their error mapping — stays the SDK's own.
import { createRequire } from 'node:module';
import * as provider from '@pulumi/pulumi/provider';
import type * as Grpc from '@grpc/grpc-js';
import type * as Proto from '@pulumi/pulumi/proto/provider_pb.js';
import type { DiffKind, DoubleDiffResult, DoubleProvider } from './common';

type ProtoModule = typeof Proto;
type Call<Req> = { request: Req };
type Callback<Res> = (err: Error | null, res?: Res) => void;

/** Loads modules as the SDK's provider server resolves them, so both use one gRPC instance. */
const sdkRequire = createRequire(createRequire(import.meta.url).resolve('@pulumi/pulumi/provider/server.js'));

/** Serves `impl` on a local port and prints the port, as the engine expects of a plugin. */
export async function serve(impl: DoubleProvider, args: string[]): Promise<void> {
  const grpc = sdkRequire('@grpc/grpc-js') as typeof Grpc;
  const pb = sdkRequire('../proto/provider_pb.js') as ProtoModule;
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service, implementation) {
    const handlers = implementation as Record<string, unknown>;
    handlers.diff = diffHandler(impl, pb);
    handlers.configure = configureHandler(impl, pb);
    return addService.call(this, service, implementation);
  };
  await provider.main(impl, args);
}

function diffHandler(impl: DoubleProvider, pb: ProtoModule) {
  return async (call: Call<Proto.DiffRequest>, callback: Callback<Proto.DiffResponse>) => {
    try {
      const req = call.request;
      const result = await impl.diff(
        req.getId(),
        req.getUrn(),
        req.getOlds()?.toJavaScript() ?? {},
        req.getNews()?.toJavaScript() ?? {},
        req.getOldInputs()?.toJavaScript(),
      );
      callback(null, diffResponse(pb, result));
    } catch (e) {
      console.error(`diff failed: ${(e as Error).stack ?? String(e)}`);
      callback(e as Error);
    }
  };
}

const KINDS: Record<DiffKind, Proto.PropertyDiff.Kind> = {
  add: 0,
  'add-replace': 1,
  delete: 2,
  'delete-replace': 3,
  update: 4,
  'update-replace': 5,
};

/** The gRPC answer for a double's diff, detailed diff included. */
export function diffResponse(pb: ProtoModule, result: DoubleDiffResult): Proto.DiffResponse {
  const resp = new pb.DiffResponse();
  const { DIFF_NONE, DIFF_SOME, DIFF_UNKNOWN } = pb.DiffResponse.DiffChanges;
  resp.setChanges(result.changes === true ? DIFF_SOME : result.changes === false ? DIFF_NONE : DIFF_UNKNOWN);
  resp.setReplacesList([...(result.replaces ?? [])]);
  resp.setStablesList([...(result.stables ?? [])]);
  resp.setDeletebeforereplace(Boolean(result.deleteBeforeReplace));
  if (result.detailedDiff) {
    const paths = Object.keys(result.detailedDiff);
    // `diffs` lists top-level keys; older engines display only these.
    resp.setDiffsList([...new Set(paths.map((p) => p.split(/[.[]/)[0]!))]);
    const map = resp.getDetaileddiffMap();
    for (const path of paths) {
      const entry = new pb.PropertyDiff();
      entry.setKind(KINDS[result.detailedDiff[path]!]);
      entry.setInputdiff(Boolean(result.inputDiff));
      map.set(path, entry);
    }
    resp.setHasdetaileddiff(true);
  }
  return resp;
}

function configureHandler(impl: DoubleProvider, pb: ProtoModule) {
  return (call: Call<Proto.ConfigureRequest>, callback: Callback<Proto.ConfigureResponse>) => {
    try {
      const req = call.request;
      const config: Record<string, unknown> = {};
      // Variables are keyed `aws:config:region` (older engines send only these); args are the typed form.
      for (const [key, value] of req.getVariablesMap().getEntryList()) config[key.replace(/^[^:]+:config:/, '')] = value;
      Object.assign(config, req.getArgs()?.toJavaScript() ?? {});
      impl.configure?.(config);
      const resp = new pb.ConfigureResponse();
      resp.setAcceptsecrets(false);
      resp.setAcceptresources(false);
      resp.setAcceptoutputs(false);
      // Create and Update run only for real, never during preview: previews plan from diff alone.
      resp.setSupportspreview(false);
      callback(null, resp);
    } catch (e) {
      callback(e as Error);
    }
  };
}
