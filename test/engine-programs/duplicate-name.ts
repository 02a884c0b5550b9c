/**
 * A program that declares one name twice, for `npm run engine:e2e`: the engine must refuse it
 * with its own "Duplicate resource URN" error.
 */
import * as aws from "@pulumi/aws";

new aws.sns.Topic("alerts", {});
new aws.sns.Topic("alerts", {});
