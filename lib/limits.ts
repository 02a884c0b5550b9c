/**
 * Limits and patterns that several modules check the same value against: the stack config
 * (`lib/config.ts`), the state machine builder (`lib/state-machine.ts`) and the components. Each
 * is written here once; the per-stack defaults live in `lib/config.ts`.
 */

/** An inclusive whole-number range, with what the number counts (for error messages). */
export interface WholeRange {
  min: number;
  max: number;
  /** What the number is, e.g. "seconds between crawler polls". */
  what: string;
}

/** The Glue job run timeout, minutes: Glue's limit for batch jobs (StartJobRun `Timeout`). */
export const JOB_TIMEOUT_MINUTES: WholeRange = {
  min: 1,
  max: 2880,
  what: "Glue's limit for batch jobs",
};

/** Seconds between crawler polls in the state machine (a crawl takes about a minute). */
export const CRAWLER_POLL_SECONDS: WholeRange = {
  min: 5,
  max: 600,
  what: "seconds between crawler polls",
};

/** Crawler polls before the state machine gives up (`Pipeline.CrawlerTimeout`). */
export const MAX_CRAWLER_POLLS: WholeRange = {
  min: 1,
  max: 500,
  what: "crawler polls before giving up",
};

/** The state machine's pacing when nothing else is said: what every stack gets unless set. */
export const RUN_DEFAULTS = {
  /** Glue job run timeout, minutes (a dev stack's; prod stacks get 120, see lib/config.ts). */
  jobTimeoutMinutes: 60,
  crawlerPollSeconds: 30,
  maxCrawlerPolls: 40,
} as const;

/** An email address as SNS email subscriptions take it. */
export const EMAIL =
  /^[^\s@<>(),;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/**
 * An EventBridge schedule expression: `rate(<n> <unit>)` or `cron(<6 fields>)`.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
 */
export const SCHEDULE =
  /^(?:rate\(\d+ (?:minute|minutes|hour|hours|day|days)\)|cron\((?:\S+ ){5}\S+\))$/;

/** An IPv4 CIDR block from /16 to /24 (the sizes a VPC takes that leave room for subnets). */
export const CIDR = /^(?:\d{1,3}\.){3}\d{1,3}\/(?:1[6-9]|2[0-4])$/;

/** Whether a value is a whole number inside a range. */
export function inRange(value: unknown, range: WholeRange): boolean {
  return (
    Number.isInteger(value) && (value as number) >= range.min && (value as number) <= range.max
  );
}
