/**
 * The notification topic's resource policy. Pure: plain strings in, document out.
 *
 * Three kinds of publishers, each named precisely: the pipeline's roles (the state machine's), the
 * stack's CloudWatch alarms (by alarm-name prefix: alarms are created after the topic, since they
 * point at it) and the stack's EventBridge rules (by ARN). Every other principal is denied
 * `sns:Publish`, and so is any request without TLS.
 *
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
 */
import { type PolicyDocument, type Statement, policyDocument, servicePrincipal } from "./document";

/** Inputs of {@link notificationTopicPolicy}. */
export interface NotificationTopicPolicyArgs {
  partition: string;
  region: string;
  accountId: string;
  topicArn: string;
  /** IAM roles that may publish (the state machine's role). At least one. */
  publisherRoleArns: string[];
  /** CloudWatch alarms whose name starts with this prefix may publish (e.g. `spotify-dev-`). */
  alarmNamePrefix: string;
  /** EventBridge rules that may publish (e.g. the Glue job failure rule). @default [] */
  eventRuleArns?: string[];
}

function oneOrMany(values: string[]): string | string[] {
  return values.length === 1 ? values[0]! : values;
}

/**
 * The topic policy: allow the given roles, this stack's alarms and rules to publish; deny
 * publishing to everyone else and over plain HTTP.
 * @throws Error listing each invalid argument.
 */
export function notificationTopicPolicy(args: NotificationTopicPolicyArgs): PolicyDocument {
  const problems: string[] = [];
  if (args.publisherRoleArns.length === 0) {
    problems.push("publisherRoleArns must name at least one role (the state machine's); found [].");
  }
  for (const arn of args.publisherRoleArns) {
    if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(arn)) {
      problems.push(
        `publisherRoleArns must hold IAM role ARNs like arn:aws:iam::123456789012:role/name; found ${JSON.stringify(arn)}.`,
      );
    }
  }
  if (!/^[A-Za-z0-9._-]+$/.test(args.alarmNamePrefix)) {
    problems.push(
      `alarmNamePrefix must be a literal alarm-name prefix (letters, digits, ".", "_", "-"; no wildcards); found ${JSON.stringify(args.alarmNamePrefix)}.`,
    );
  }
  if (problems.length > 0) {
    throw new Error(`Invalid notification topic policy arguments: ${problems.join(" ")}`);
  }

  const account = { "aws:SourceAccount": args.accountId };
  const statements: Statement[] = [
    {
      Sid: "AllowPipelineRolesToPublish",
      Effect: "Allow",
      Principal: { AWS: oneOrMany(args.publisherRoleArns) },
      Action: "sns:Publish",
      Resource: args.topicArn,
    },
    {
      Sid: "AllowStackAlarmsToPublish",
      Effect: "Allow",
      Principal: { Service: servicePrincipal("cloudwatch") },
      Action: "sns:Publish",
      Resource: args.topicArn,
      Condition: {
        StringEquals: account,
        ArnLike: {
          "aws:SourceArn": `arn:${args.partition}:cloudwatch:${args.region}:${args.accountId}:alarm:${args.alarmNamePrefix}*`,
        },
      },
    },
  ];
  const rules = args.eventRuleArns ?? [];
  if (rules.length > 0) {
    statements.push({
      Sid: "AllowStackRulesToPublish",
      Effect: "Allow",
      Principal: { Service: servicePrincipal("events") },
      Action: "sns:Publish",
      Resource: args.topicArn,
      Condition: { StringEquals: account, ArnEquals: { "aws:SourceArn": oneOrMany(rules) } },
    });
  }
  statements.push(
    {
      // Same-account principals could otherwise publish with an identity policy alone. AWS
      // services (the alarms and rules above) call as service principals and are not denied.
      Sid: "DenyPublishByOtherPrincipals",
      Effect: "Deny",
      Principal: "*",
      Action: "sns:Publish",
      Resource: args.topicArn,
      Condition: {
        StringNotEquals: { "aws:PrincipalArn": oneOrMany(args.publisherRoleArns) },
        BoolIfExists: { "aws:PrincipalIsAWSService": false },
      },
    },
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "sns:Publish",
      Resource: args.topicArn,
      Condition: { Bool: { "aws:SecureTransport": false } },
    },
  );
  return policyDocument(statements);
}
