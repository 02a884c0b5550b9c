/** The role tables, one file per role, in the order of the doc. */
import { QUICKSIGHT } from "./dashboards";
import { GLUE_CRAWLER } from "./etl-crawler";
import { GLUE_JOB } from "./etl-job";
import { EVENTS } from "./events";
import { STATE_MACHINE } from "./states";
import type { RoleTable } from "./table";

/** Every role table, in the order of the doc. */
export const ROLE_TABLES: readonly RoleTable[] = [
  GLUE_JOB,
  GLUE_CRAWLER,
  STATE_MACHINE,
  EVENTS,
  QUICKSIGHT,
];
