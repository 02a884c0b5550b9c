/**
 * The snapshot date of a run (`lib/state-machine.ts`): the execution input's optional
 * `snapshot_date` (a backfill), or else the UTC day the execution started. Checked before the job
 * runs: a malformed or future date fails the run with a message naming the value.
 */
import type { AslState } from "./asl";
import { PIPELINE_ERRORS, STATES, type StateName } from "./state-machine-names";
import { PATH, SNAPSHOT_DATE, present } from "./state-machine-parts";

/** What a given `snapshot_date` must be, as the failure cause states it. */
export const SNAPSHOT_DATE_RULE =
  "snapshot_date must be a UTC day in the form YYYY-MM-DD (e.g. 2024-06-01), not after the " +
  "day the execution started; omit it to use that day";

/** The snapshot states, keyed by name: ResolveSnapshotDate ... RejectSnapshotDate. */
export function snapshotDateStates(): Partial<Record<StateName, AslState>> {
  return {
    ResolveSnapshotDate: {
      Type: "Pass",
      Comment:
        "Reads the execution input's optional snapshot_date (whatever the input's form) next to " +
        "the default, the UTC day the execution started.",
      Parameters: {
        "input.$": "$$.Execution.Input",
        "default.$": SNAPSHOT_DATE,
        "started.$": "$$.Execution.StartTime",
      },
      ResultPath: PATH.snapshot,
      Next: STATES.checkSnapshotDate,
    },
    CheckSnapshotDate: {
      Type: "Choice",
      Comment: "A given snapshot_date must be a string; without one the run takes the default.",
      Choices: [
        { Not: present(PATH.givenSnapshotDate), Next: STATES.defaultSnapshotDate },
        {
          Variable: PATH.givenSnapshotDate,
          IsString: true,
          Next: STATES.givenSnapshotDate,
        },
      ],
      Default: STATES.rejectSnapshotDate,
    },
    DefaultSnapshotDate: {
      Type: "Pass",
      Comment: "No snapshot_date given: the run's snapshot is the day the execution started.",
      Parameters: { "date.$": `${PATH.snapshot}.default` },
      ResultPath: PATH.snapshot,
      Next: STATES.runGlueJob,
    },
    GivenSnapshotDate: {
      Type: "Pass",
      Comment:
        "A backfill's snapshot_date, and midnight of that day as a timestamp (valid only when the " +
        "date is exactly YYYY-MM-DD).",
      Parameters: {
        "input.$": `${PATH.snapshot}.input`,
        "started.$": `${PATH.snapshot}.started`,
        "date.$": PATH.givenSnapshotDate,
        "midnight.$": `States.Format('{}T00:00:00Z', ${PATH.givenSnapshotDate})`,
      },
      ResultPath: PATH.snapshot,
      Next: STATES.validateSnapshotDate,
    },
    ValidateSnapshotDate: {
      Type: "Choice",
      Comment:
        "<date>T00:00:00Z is an RFC 3339 timestamp only for a YYYY-MM-DD date; a day after the " +
        "execution's start would pin the current table to the future (the latest snapshot wins).",
      Choices: [
        {
          Not: { Variable: `${PATH.snapshot}.midnight`, IsTimestamp: true },
          Next: STATES.rejectSnapshotDate,
        },
        {
          Variable: `${PATH.snapshot}.midnight`,
          TimestampGreaterThanPath: `${PATH.snapshot}.started`,
          Next: STATES.rejectSnapshotDate,
        },
      ],
      Default: STATES.runGlueJob,
    },
    RejectSnapshotDate: {
      Type: "Pass",
      Comment: "Invalid snapshot_date: fails the run before the job (the cause names the value).",
      Parameters: {
        step: STATES.checkSnapshotDate,
        Error: PIPELINE_ERRORS.invalidInput,
        "Cause.$": `States.Format('${SNAPSHOT_DATE_RULE}; found {}.', States.JsonToString(${PATH.givenSnapshotDate}))`,
      },
      ResultPath: PATH.failure,
      Next: STATES.checkFailureCause,
    },
  };
}
