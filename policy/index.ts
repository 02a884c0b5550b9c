/**
 * The policy pack's entry point, run by the Pulumi CLI:
 * `pulumi preview --policy-pack policy --policy-pack-config policy/<stack>.json`.
 *
 * Constructing a `PolicyPack` starts the analyzer's gRPC server and keeps the process alive, so
 * nothing else may import this file: tests and `npm run policy:check` import `./pack` instead.
 */
import { PolicyPack } from "@pulumi/policy";

import { PACK_NAME } from "./config";
import { packArgs } from "./pack";

new PolicyPack(PACK_NAME, packArgs);
