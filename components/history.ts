import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { historyTableArgs } from "../lib/history";

/** Arguments of {@link SnapshotHistory}. */
export interface SnapshotHistoryArgs {
  /** The warehouse's Data Catalog database. */
  databaseName: pulumi.Input<string>;
  /** The datawarehouse bucket holding `tracks_history/`. */
  warehouseBucket: pulumi.Input<string>;
}

/**
 * The snapshot history table `tracks_history` (one partition per published snapshot date), read
 * by Athena through partition projection: no crawler run per snapshot. The current `tracks` table
 * stays the crawler's.
 * @see https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html
 */
export class SnapshotHistory extends pulumi.ComponentResource {
  /** The Glue table. */
  readonly table: aws.glue.CatalogTable;
  /** Its name (`tracks_history`). */
  readonly tableName: pulumi.Output<string>;

  constructor(name: string, args: SnapshotHistoryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spotify-pipeline:history:SnapshotHistory", name, {}, opts);
    const table = pulumi
      .all([args.databaseName, args.warehouseBucket])
      .apply(([databaseName, warehouseBucket]) =>
        historyTableArgs({ databaseName, warehouseBucket }),
      );
    this.table = new aws.glue.CatalogTable(
      `${name}-table`,
      {
        name: table.name,
        databaseName: table.databaseName,
        tableType: table.tableType,
        description: table.description,
        parameters: table.parameters,
        partitionKeys: table.partitionKeys,
        storageDescriptor: table.storageDescriptor,
      },
      { parent: this },
    );
    this.tableName = this.table.name;
    this.registerOutputs({ tableName: this.tableName });
  }
}
