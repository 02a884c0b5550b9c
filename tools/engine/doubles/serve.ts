/**
 * Serves a provider DOUBLE with `@pulumi/pulumi/provider`'s `main`, adjusting three behaviours of
 * that SDK server that the engine path needs (each on the request at hand, nothing global):
 * - `Diff` gets the resource's OLD INPUTS (the engine sends them as `old_inputs`) where the SDK
 *   server passes the old outputs: a double compares inputs with inputs.
 * - `Configure` announces preview support, so the engine asks the double for the outputs of an
 *   in-place update during a preview; otherwise every output of an updated resource turns unknown
 *   and its dependents show as changed too, which no real (bridged) provider does.
 * - `Create` during a preview answers with the inputs only (computed outputs stay unknown), as
 *   the engine does for a provider without preview support and as the offline preview does.
 * The region comes from the provider's configuration (`aws:region` or the `region` argument).
 */
import * as path from "node:path";

import type { Provider } from "@pulumi/pulumi/provider";
import { main } from "@pulumi/pulumi/provider";

import { UNKNOWN, containsUnknown } from "../../synth";

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
// The gRPC module @pulumi/pulumi's provider server uses (its Server class is the one to adjust).
const grpc = require(
  require.resolve("@grpc/grpc-js", { paths: [path.dirname(require.resolve("@pulumi/pulumi"))] }),
) as { Server: { prototype: { addService(service: unknown, impl: Impl): void } } };
const provproto = require("@pulumi/pulumi/proto/provider_pb") as {
  CreateResponse: new () => { setId(id: string): void; setProperties(props: unknown): void };
};
type Handler = (call: { request: any }, callback: (err: unknown, resp?: any) => void) => unknown;
type Impl = Record<"configure" | "diff" | "create" | "update", Handler>;
/* eslint-enable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */

/** The region the engine configured this provider instance with (us-east-1 until configured). */
export let configuredRegion = "us-east-1";

function adjust(impl: Impl): void {
  const { configure, diff, create, update } = impl;
  impl.configure = (call, callback) => {
    const vars = call.request.getVariablesMap();
    const args = call.request.getArgs()?.toJavaScript() as Record<string, unknown> | undefined;
    const region = vars.get("aws:region") ?? args?.region;
    if (typeof region === "string" && region !== UNKNOWN) configuredRegion = region;
    return configure.call(impl, call, (err, resp) => {
      resp?.setSupportspreview(true);
      callback(err, resp);
    });
  };
  impl.diff = (call, callback) => {
    const oldInputs = call.request.getOldInputs();
    if (oldInputs) call.request.getOlds = () => oldInputs;
    return diff.call(impl, call, callback);
  };
  impl.create = (call, callback) => {
    if (!call.request.getPreview()) return create.call(impl, call, callback);
    const resp = new provproto.CreateResponse();
    resp.setId("");
    resp.setProperties(call.request.getProperties());
    callback(undefined, resp);
  };
  impl.update = (call, callback) => {
    const news = call.request.getNews();
    if (call.request.getPreview() && containsUnknown(news.toJavaScript())) {
      // Outputs that derive from unknown inputs are unknown too: hand back the inputs.
      return update.call(impl, call, (err, resp) => {
        resp?.setProperties(news);
        callback(err, resp);
      });
    }
    return update.call(impl, call, callback);
  };
}

/** Starts the double's gRPC server (prints its port for the engine), with the adjustments above. */
export function serveDouble(provider: Provider): Promise<void> {
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service, impl) {
    adjust(impl);
    return addService.call(this, service, impl);
  };
  return main(provider, process.argv.slice(2));
}
