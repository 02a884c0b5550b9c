/**
 * `pulumi-resource-aws` DOUBLE: a stand-in for the AWS provider plugin that the Pulumi CLI finds
 * on PATH (tools/engine/bin/). It proves the engine path and this program (step generation, URNs,
 * dependencies, state, protect, policy packs), NOT that AWS accepts the resources: nothing here
 * talks to AWS.
 * - `check` returns the inputs; `diff` compares old inputs with new inputs and marks replacements
 *   from REPLACE_ON_CHANGE (./replacements.ts).
 * - `create`/`update` answer with the offline synthesis's `mockOutputs` (tools/synth.ts): the
 *   engine's outputs and the mocks' come from one definition.
 * - `invoke` answers the offline synthesis's `mockCall`; `delete` forgets.
 */
import type * as provider from "@pulumi/pulumi/provider";

import { mockCall, mockOutputs } from "../../synth";
import { diffInputs } from "./replacements";
import { configuredRegion, serveDouble } from "./serve";

/** The type token and name in a URN (`urn:pulumi:<stack>::<project>::<parent$type>::<name>`). */
export function parseUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const qualified = parts[2] ?? "";
  return { type: qualified.split("$").pop() ?? qualified, name: parts.slice(3).join("::") };
}

export const awsDouble: provider.Provider = {
  version: "7.48.0",
  check: (_urn, _olds, news) => Promise.resolve({ inputs: news }),
  diff: (_id, urn, olds, news) => {
    const { changed, replaces } = diffInputs(parseUrn(urn).type, olds ?? {}, news ?? {});
    return Promise.resolve({ changes: changed.length > 0, replaces });
  },
  create: (urn, inputs) => {
    const { type, name } = parseUrn(urn);
    const { id, state } = mockOutputs(type, name, inputs ?? {}, configuredRegion);
    return Promise.resolve({ id, outs: state });
  },
  update: (_id, urn, _olds, news) => {
    const { type, name } = parseUrn(urn);
    return Promise.resolve({ outs: mockOutputs(type, name, news ?? {}, configuredRegion).state });
  },
  delete: () => Promise.resolve(),
  invoke: (token) => Promise.resolve({ outputs: mockCall(token, configuredRegion) }),
};

if (require.main === module) void serveDouble(awsDouble);
