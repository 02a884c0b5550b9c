/**
 * The snapshot history table `tracks_history`: every published run's gold, one partition per
 * snapshot date (`tracks_history/snapshot_date=YYYY-MM-DD/`, written by the publish step). Athena
 * reads it through partition projection, so a new snapshot needs no crawler run and no
 * `ALTER TABLE ADD PARTITION`. Pure: `components/history.ts` creates the Glue table.
 *
 * @see https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html
 */
import { GOLD_COLUMNS } from "./contract";

/** The history table's name and prefix in the datawarehouse bucket (glue/contract.json `publish`). */
export const HISTORY_TABLE = "tracks_history";
/** Its partition column. */
export const SNAPSHOT_PARTITION_KEY = "snapshot_date";
/** First day the projection covers (earlier snapshots are not visible to Athena). */
export const FIRST_SNAPSHOT_DATE = "2020-01-01";

/** The `aws.glue.CatalogTable` arguments of the history table (plain values). */
export function historyTableArgs(args: { databaseName: string; warehouseBucket: string }) {
  const location = `s3://${args.warehouseBucket}/${HISTORY_TABLE}/`;
  const key = SNAPSHOT_PARTITION_KEY;
  return {
    name: HISTORY_TABLE,
    databaseName: args.databaseName,
    tableType: "EXTERNAL_TABLE",
    description:
      "Every published run's gold tracks table, one partition per snapshot date (partition projection).",
    parameters: {
      classification: "parquet",
      EXTERNAL: "TRUE",
      "parquet.compression": "SNAPPY",
      "projection.enabled": "true",
      [`projection.${key}.type`]: "date",
      [`projection.${key}.format`]: "yyyy-MM-dd",
      [`projection.${key}.range`]: `${FIRST_SNAPSHOT_DATE},NOW`,
      [`projection.${key}.interval`]: "1",
      [`projection.${key}.interval.unit`]: "DAYS",
      "storage.location.template": `${location}${key}=\${${key}}/`,
    },
    partitionKeys: [{ name: key, type: "string" }],
    storageDescriptor: {
      location,
      inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
      outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
      serDeInfo: {
        serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        parameters: { "serialization.format": "1" },
      },
      columns: GOLD_COLUMNS.map((c) => ({ name: c.name, type: c.glue_type })),
    },
  };
}
