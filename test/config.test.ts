import { expect } from "chai";

import { ConfigError, parseStackConfig } from "../lib/config";
import { readStackConfig } from "../tools/synth";
import { graphOf } from "./harness";

const base = { "aws:region": "eu-west-1" };
const P = "spotify-pipeline";
const FIX =
  "Fix each with `pulumi config set <key> <value>` (structured values: `pulumi config set --path <key>.<field> <value>`) or edit Pulumi.dev.yaml; the keys are documented in README.md#configuration.";

/** [case, raw config, the exact problem lines]. */
const BAD: [string, Record<string, string>, string[]][] = [
  [
    "region that is not a region",
    { "aws:region": "europe" },
    [
      'aws:region must be an AWS region such as eu-west-1 (set it with `pulumi config set aws:region eu-west-1`); found "europe".',
    ],
  ],
  [
    "missing region",
    {},
    [
      "aws:region must be an AWS region such as eu-west-1 (set it with `pulumi config set aws:region eu-west-1`); found (missing).",
    ],
  ],
  [
    "log retention CloudWatch does not offer",
    { ...base, [`${P}:logRetentionDays`]: "13" },
    [
      `${P}:logRetentionDays must be one of the CloudWatch Logs retention values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653; found 13.`,
    ],
  ],
  [
    "log retention that is not a number",
    { ...base, [`${P}:logRetentionDays`]: "two weeks" },
    [
      `${P}:logRetentionDays must be one of the CloudWatch Logs retention values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653; found "two weeks".`,
    ],
  ],
  [
    "an invalid notification email",
    { ...base, [`${P}:notificationEmails`]: '["ops@example.com","not-an-email"]' },
    [
      `${P}:notificationEmails.1 must be an email address such as data-team@example.com; found "not-an-email".`,
    ],
  ],
  [
    "emails given as a string, not a list",
    { ...base, [`${P}:notificationEmails`]: "ops@example.com" },
    [
      `${P}:notificationEmails must be a list of at most 20 email addresses, e.g. ["data-team@example.com"]; found "ops@example.com".`,
    ],
  ],
  [
    "the same email twice",
    { ...base, [`${P}:notificationEmails`]: '["ops@example.com","OPS@example.com"]' },
    [
      `${P}:notificationEmails must list each address once; found "OPS@example.com" more than once.`,
    ],
  ],
  [
    "forceDestroy on protected data",
    { ...base, [`${P}:forceDestroy`]: "true", [`${P}:protectData`]: "true" },
    [
      `${P}:forceDestroy must be false while protectData is true (protected data must never be emptied by \`pulumi destroy\`); found true. Set protectData to false first (dev only).`,
    ],
  ],
  [
    "Glue worker type and count out of range",
    { ...base, [`${P}:glue`]: '{"workerType":"G.025X","numberOfWorkers":1}' },
    [
      `${P}:glue.workerType must be one of G.1X, G.2X, G.4X, G.8X; found "G.025X".`,
      `${P}:glue.numberOfWorkers must be a whole number from 2 to 299; found 1.`,
    ],
  ],
  [
    "a misspelt Glue field",
    { ...base, [`${P}:glue`]: '{"workers":3}' },
    [
      `${P}:glue.workers must be a known field (${P}:glue is an object with workerType, numberOfWorkers, executionClass, timeoutMinutes); found an unknown field with value 3. Remove it or fix its spelling.`,
    ],
  ],
  [
    "Flex on a worker type Flex does not run",
    { ...base, [`${P}:glue`]: '{"workerType":"G.4X","executionClass":"FLEX"}' },
    [
      `${P}:glue.workerType must be G.1X or G.2X with executionClass FLEX (Glue Flex runs only on those); found "G.4X". Or set executionClass STANDARD.`,
    ],
  ],
  [
    "QuickSight on without a principal",
    { ...base, [`${P}:quicksight`]: '{"enabled":true}' },
    [
      `${P}:quicksight.principalArn must be a QuickSight user or group ARN, e.g. arn:aws:quicksight:us-east-1:123456789012:group/default/analysts when quicksight.enabled is true (the dashboard is shared with it); found (missing).`,
    ],
  ],
  [
    "QuickSight principal that is an IAM ARN",
    {
      ...base,
      [`${P}:quicksight`]: '{"enabled":true,"principalArn":"arn:aws:iam::123456789012:user/alice"}',
    },
    [
      `${P}:quicksight.principalArn must be a QuickSight user or group ARN, e.g. arn:aws:quicksight:us-east-1:123456789012:group/default/analysts; found "arn:aws:iam::123456789012:user/alice".`,
    ],
  ],
  [
    "a schedule EventBridge cannot read",
    { ...base, [`${P}:schedule`]: "every day" },
    [
      `${P}:schedule must be an EventBridge schedule: rate(1 day) or cron(0 3 * * ? *); found "every day".`,
    ],
  ],
  [
    "an Athena cutoff below the minimum",
    { ...base, [`${P}:athenaBytesScannedCutoff`]: "1000" },
    [
      `${P}:athenaBytesScannedCutoff must be a whole number of bytes, at least 10485760 (10 MiB); found 1000.`,
    ],
  ],
  [
    "a misspelt key",
    { ...base, [`${P}:logRetentionDay`]: "14" },
    [
      `${P}:logRetentionDay must be a known key (one of environment, owner, costCenter, protectData, forceDestroy, logRetentionDays, rawDataTransitionDays, rawDataArchiveDays, noncurrentVersionExpirationDays, athenaResultsExpirationDays, athenaBytesScannedCutoff, notificationEmails, schedule, glue, crawlerPollSeconds, maxCrawlerPolls, networkIsolation, vpcCidr, dataCatalogEncryption, quicksight, qualityGates); found an unknown key with value "14". Remove it or fix its spelling.`,
    ],
  ],
  [
    "an unknown environment",
    { ...base, [`${P}:environment`]: "staging" },
    [`${P}:environment must be "dev" or "prod"; found "staging".`],
  ],
  [
    "a boolean written as yes",
    { ...base, [`${P}:protectData`]: "yes" },
    [`${P}:protectData must be true or false; found "yes".`],
  ],
  [
    "archive before the STANDARD_IA minimum",
    { ...base, [`${P}:rawDataTransitionDays`]: "60", [`${P}:rawDataArchiveDays`]: "89" },
    [`${P}:rawDataArchiveDays must be a whole number of days from 90 to 3650; found 89.`],
  ],
  [
    "archive too soon after the transition",
    { ...base, [`${P}:rawDataTransitionDays`]: "90", [`${P}:rawDataArchiveDays`]: "100" },
    [
      `${P}:rawDataArchiveDays must be at least rawDataTransitionDays + 30 (120), since S3 keeps objects in STANDARD_IA for 30 days at least; found 100.`,
    ],
  ],
  [
    "a VPC CIDR that is not a /16-/24 block",
    { ...base, [`${P}:vpcCidr`]: "10.0.0.0/8" },
    [
      `${P}:vpcCidr must be an IPv4 CIDR block from /16 to /24, e.g. 10.42.0.0/16; found "10.0.0.0/8".`,
    ],
  ],
  [
    "several problems at once are all listed",
    { "aws:region": "moon-1", [`${P}:logRetentionDays`]: "0", [`${P}:networkIsolation`]: "maybe" },
    [
      'aws:region must be an AWS region such as eu-west-1 (set it with `pulumi config set aws:region eu-west-1`); found "moon-1".',
      `${P}:logRetentionDays must be one of the CloudWatch Logs retention values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653; found 0.`,
      `${P}:networkIsolation must be true or false; found "maybe".`,
    ],
  ],
];

describe("parseStackConfig: invalid config fails with one message listing every problem", () => {
  for (const [title, raw, problems] of BAD) {
    it(title, () => {
      let error: unknown;
      try {
        parseStackConfig(raw, "dev");
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ConfigError);
      const n = problems.length;
      expect((error as Error).message).to.equal(
        `Invalid configuration for stack "dev" (${n} problem${n === 1 ? "" : "s"}):\n` +
          problems.map((p) => `  - ${p}`).join("\n") +
          `\n${FIX}`,
      );
    });
  }

  it("refuses forceDestroy on prod even when protectData is switched off", () => {
    expect(() =>
      parseStackConfig(
        { ...base, [`${P}:forceDestroy`]: "true", [`${P}:protectData`]: "false" },
        "prod",
      ),
    ).to.throw(
      `${P}:forceDestroy must be false on a prod stack (production buckets are never force-destroyed); found true.`,
    );
  });

  it("asks for an environment on a stack not named dev or prod", () => {
    expect(() => parseStackConfig(base, "sandbox")).to.throw(
      `${P}:environment must be "dev" or "prod" for stack "sandbox" (only stacks named dev or prod derive it); found (missing). Set it with \`pulumi config set environment dev\`.`,
    );
  });

  it("fails the program before any resource is declared", async () => {
    let error: unknown;
    try {
      await graphOf("dev", { configOverrides: { logRetentionDays: 13 } });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ConfigError);
  });
});

describe("parseStackConfig: defaults per environment", () => {
  const cases: [string, string, Record<string, unknown>][] = [
    [
      "dev",
      "dev",
      {
        environment: "dev",
        protectData: false,
        forceDestroy: false,
        logRetentionDays: 14,
        rawDataTransitionDays: 30,
        athenaResultsExpirationDays: 7,
        networkIsolation: false,
        athenaBytesScannedCutoff: 1024 ** 3,
      },
    ],
    [
      "prod",
      "prod",
      {
        environment: "prod",
        protectData: true,
        forceDestroy: false,
        logRetentionDays: 365,
        rawDataTransitionDays: 90,
        athenaResultsExpirationDays: 30,
        networkIsolation: true,
        athenaBytesScannedCutoff: 10 * 1024 ** 3,
      },
    ],
  ];
  for (const [title, stack, expected] of cases) {
    it(title, () => {
      const c = parseStackConfig(base, stack);
      expect(c).to.deep.include(expected);
      expect(c.glue).to.deep.equal(
        stack === "prod"
          ? {
              workerType: "G.1X",
              numberOfWorkers: 10,
              executionClass: "STANDARD",
              timeoutMinutes: 120,
            }
          : { workerType: "G.1X", numberOfWorkers: 2, executionClass: "FLEX", timeoutMinutes: 60 },
      );
      expect(c.quicksight).to.deep.equal({
        enabled: false,
        importMode: "SPICE",
        refreshScheduleFrequency: "DAILY",
      });
    });
  }

  it("takes an explicit environment for other stack names", () => {
    expect(
      parseStackConfig({ ...base, [`${P}:environment`]: "prod" }, "prod-eu").environment,
    ).to.equal("prod");
  });

  it("parses the shipped stack files", () => {
    const dev = parseStackConfig(readStackConfig("dev"), "dev");
    const prod = parseStackConfig(readStackConfig("prod"), "prod");
    expect(dev).to.deep.include({
      forceDestroy: true,
      protectData: false,
      notificationEmails: ["data-platform-dev@example.com"],
    });
    expect(prod).to.deep.include({
      forceDestroy: false,
      protectData: true,
      schedule: "cron(0 3 * * ? *)",
    });
  });
});
