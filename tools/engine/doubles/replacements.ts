/**
 * Which input changes force the real provider to REPLACE a resource (delete and create) instead
 * of updating it in place, for every resource type this program declares. The provider doubles'
 * `diff` (tools/engine/doubles/) reads this one table; nothing else decides replacement.
 *
 * pulumi-aws is a bridge of the Terraform AWS provider: a property replaces when the Terraform
 * schema marks it `ForceNew` (Plugin Framework: `RequiresReplace`), documented as "Forces new
 * resource" in the argument reference. `source` names that resource's reference page in
 * hashicorp/terraform-provider-aws (`website/docs/r/<page>.html.markdown`). Property names are
 * Pulumi's (camelCase). Only top-level input properties are listed: the program never changes a
 * nested replace-forcing field without its parent.
 *
 * Read on the page when this table was written: s3_bucket (bucket, bucket_prefix),
 * security_group (name, name_prefix), iam_role (name, name_prefix). The other rows follow the
 * provider's schema (ForceNew / RequiresReplace); check a row against its page when adding a type
 * or upgrading @pulumi/aws.
 */

/** The replace-forcing inputs of one resource type, and where the fact comes from. */
export interface ReplaceRule {
  properties: readonly string[];
  source: string;
}

const doc = (page: string) =>
  `hashicorp/terraform-provider-aws website/docs/r/${page}.html.markdown (ForceNew arguments)`;

/** Per type token, the inputs whose change replaces the resource. */
export const REPLACE_ON_CHANGE: Readonly<Record<string, ReplaceRule>> = {
  "aws:s3/bucket:Bucket": {
    properties: ["bucket", "bucketPrefix", "objectLockEnabled"],
    source: doc("s3_bucket"),
  },
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {
    properties: ["bucket", "expectedBucketOwner"],
    source: doc("s3_bucket_lifecycle_configuration"),
  },
  "aws:s3/bucketLogging:BucketLogging": {
    properties: ["bucket", "expectedBucketOwner"],
    source: doc("s3_bucket_logging"),
  },
  "aws:s3/bucketNotification:BucketNotification": {
    properties: ["bucket"],
    source: doc("s3_bucket_notification"),
  },
  "aws:s3/bucketObjectv2:BucketObjectv2": {
    properties: ["bucket", "key"],
    source: doc("s3_object"),
  },
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": {
    properties: ["bucket"],
    source: doc("s3_bucket_ownership_controls"),
  },
  "aws:s3/bucketPolicy:BucketPolicy": {
    properties: ["bucket"],
    source: doc("s3_bucket_policy"),
  },
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {
    properties: ["bucket"],
    source: doc("s3_bucket_public_access_block"),
  },
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
    properties: ["bucket", "expectedBucketOwner"],
    source: doc("s3_bucket_server_side_encryption_configuration"),
  },
  "aws:s3/bucketVersioning:BucketVersioning": {
    properties: ["bucket", "expectedBucketOwner"],
    source: doc("s3_bucket_versioning"),
  },
  "aws:kms/key:Key": {
    properties: ["customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId"],
    source: doc("kms_key"),
  },
  "aws:kms/alias:Alias": { properties: ["name", "namePrefix"], source: doc("kms_alias") },
  "aws:iam/role:Role": { properties: ["name", "namePrefix", "path"], source: doc("iam_role") },
  "aws:iam/rolePolicy:RolePolicy": {
    properties: ["name", "namePrefix", "role"],
    source: doc("iam_role_policy"),
  },
  "aws:glue/job:Job": { properties: ["name"], source: doc("glue_job") },
  "aws:glue/crawler:Crawler": { properties: ["name"], source: doc("glue_crawler") },
  "aws:glue/catalogDatabase:CatalogDatabase": {
    properties: ["name", "catalogId"],
    source: doc("glue_catalog_database"),
  },
  "aws:glue/catalogTable:CatalogTable": {
    properties: ["name", "databaseName", "catalogId"],
    source: doc("glue_catalog_table"),
  },
  "aws:glue/connection:Connection": {
    properties: ["name", "catalogId"],
    source: doc("glue_connection"),
  },
  "aws:glue/securityConfiguration:SecurityConfiguration": {
    // Glue has no UpdateSecurityConfiguration API: every argument replaces.
    properties: ["name", "encryptionConfiguration"],
    source: doc("glue_security_configuration"),
  },
  "aws:sfn/stateMachine:StateMachine": {
    properties: ["name", "namePrefix", "type"],
    source: doc("sfn_state_machine"),
  },
  "aws:sns/topic:Topic": {
    properties: ["name", "namePrefix", "fifoTopic"],
    source: doc("sns_topic"),
  },
  "aws:sns/topicPolicy:TopicPolicy": { properties: ["arn"], source: doc("sns_topic_policy") },
  "aws:sns/topicSubscription:TopicSubscription": {
    properties: ["topicArn", "protocol", "endpoint"],
    source: doc("sns_topic_subscription"),
  },
  "aws:cloudwatch/logGroup:LogGroup": {
    properties: ["name", "namePrefix", "logGroupClass"],
    source: doc("cloudwatch_log_group"),
  },
  "aws:cloudwatch/metricAlarm:MetricAlarm": {
    properties: ["name"],
    source: doc("cloudwatch_metric_alarm"),
  },
  "aws:cloudwatch/dashboard:Dashboard": {
    properties: ["dashboardName"],
    source: doc("cloudwatch_dashboard"),
  },
  "aws:cloudwatch/eventRule:EventRule": {
    properties: ["name", "namePrefix", "eventBusName"],
    source: doc("cloudwatch_event_rule"),
  },
  "aws:cloudwatch/eventTarget:EventTarget": {
    properties: ["rule", "targetId", "eventBusName"],
    source: doc("cloudwatch_event_target"),
  },
  "aws:athena/workgroup:Workgroup": { properties: ["name"], source: doc("athena_workgroup") },
  "aws:athena/namedQuery:NamedQuery": {
    // Athena has no UpdateNamedQuery in the provider: every argument replaces.
    properties: ["name", "query", "database", "workgroup", "description"],
    source: doc("athena_named_query"),
  },
  "aws:ec2/securityGroup:SecurityGroup": {
    properties: ["name", "namePrefix", "description", "vpcId"],
    source: doc("security_group"),
  },
  "aws:ec2/vpcEndpoint:VpcEndpoint": {
    properties: ["vpcId", "serviceName", "vpcEndpointType"],
    source: doc("vpc_endpoint"),
  },
  "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy": {
    properties: ["vpcEndpointId"],
    source: doc("vpc_endpoint_policy"),
  },
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
    properties: ["securityGroupId"],
    source: doc("vpc_security_group_ingress_rule"),
  },
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
    properties: ["securityGroupId"],
    source: doc("vpc_security_group_egress_rule"),
  },
  // The children the awsx double registers for awsx:ec2:Vpc.
  "aws:ec2/vpc:Vpc": { properties: ["cidrBlock", "instanceTenancy"], source: doc("vpc") },
  "aws:ec2/subnet:Subnet": {
    properties: ["vpcId", "cidrBlock", "availabilityZone"],
    source: doc("subnet"),
  },
  "aws:ec2/routeTable:RouteTable": { properties: ["vpcId"], source: doc("route_table") },
  "aws:ec2/routeTableAssociation:RouteTableAssociation": {
    properties: ["subnetId", "gatewayId"],
    source: doc("route_table_association"),
  },
};

/** The result of comparing a resource's old inputs with its new inputs. */
export interface InputDiff {
  /** Top-level input keys whose value changed (added, removed or different). */
  changed: string[];
  /** The changed keys that force a replacement ({@link REPLACE_ON_CHANGE}). */
  replaces: string[];
}

const stable = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x !== null && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );

/**
 * Compares old inputs with new inputs (never outputs with inputs: outputs hold computed values
 * the program never set, and would show a change on every preview).
 * @throws when `type` is not in {@link REPLACE_ON_CHANGE}: a new resource type needs its row.
 */
export function diffInputs(
  type: string,
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): InputDiff {
  const rule = REPLACE_ON_CHANGE[type];
  if (!rule) {
    throw new Error(
      `Resource type ${type} must have a row in REPLACE_ON_CHANGE (tools/engine/doubles/replacements.ts); found none. Add its replace-forcing properties with their source.`,
    );
  }
  const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])].sort();
  const changed = keys.filter((k) => stable(olds[k]) !== stable(news[k]));
  return { changed, replaces: changed.filter((k) => rule.properties.includes(k)) };
}
