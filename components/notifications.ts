import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

import { notificationTopicPolicy } from "../lib/iam/notifications";
import { EMAIL } from "../lib/limits";

/** Arguments of {@link Notifications}. */
export interface NotificationsArgs {
  /** AWS account id (topic policy source conditions). */
  accountId: pulumi.Input<string>;
  /** AWS region of the stack. */
  region: string;
  /** ARN partition (`aws`, `aws-cn`, `aws-us-gov`). */
  partition: string;
  /**
   * ARN of the pipeline's customer-managed key; it encrypts the topic. Its key policy must let
   * `cloudwatch.amazonaws.com` and `events.amazonaws.com` use it through SNS (MedallionStorage's does).
   * @see https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
   */
  keyArn: pulumi.Input<string>;
  /**
   * IAM roles that may publish: the state machine's. They are created after the topic (their
   * policies name it), so pass a deferred output (`pulumi.deferredOutput`) resolved later.
   */
  publisherRoleArns: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * CloudWatch alarms whose name starts with this prefix may publish (alarms are created after
   * the topic, so they are matched by name), e.g. `spotify-dev-`.
   */
  alarmNamePrefix: string;
  /** EventBridge rules that may publish (e.g. the Glue job failure rule). @default [] */
  eventRuleArns?: pulumi.Input<pulumi.Input<string>[]>;
  /** Email addresses subscribed to the topic; each must confirm the subscription. @default [] */
  emails?: string[];
  /** Sender name of the emails (at most 100 characters). @default the component name */
  displayName?: string;
}

/**
 * The pipeline's notification channel: one SNS topic, encrypted with the pipeline key, that only
 * the state machine's role, this stack's CloudWatch alarms and this stack's EventBridge rules may
 * publish to, with an email subscription per configured address.
 *
 * @see https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html
 */
export class Notifications extends pulumi.ComponentResource {
  /** The topic. */
  readonly topic: aws.sns.Topic;
  /** ARN of the topic (stack output). */
  readonly topicArn: pulumi.Output<string>;
  /** Name of the topic. */
  readonly topicName: pulumi.Output<string>;
  /** The topic's resource policy. */
  readonly topicPolicy: aws.sns.TopicPolicy;
  /** One email subscription per address, in the order given. */
  readonly subscriptions: aws.sns.TopicSubscription[];

  constructor(name: string, args: NotificationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spotify-pipeline:notifications:Notifications", name, {}, opts);

    const emails = args.emails ?? [];
    const displayName = args.displayName ?? name;
    const problems: string[] = [];
    for (const e of emails) {
      if (!EMAIL.test(e)) {
        problems.push(
          `emails: got ${JSON.stringify(e)}; expected an email address such as data-team@example.com.`,
        );
      }
    }
    const seen = new Set<string>();
    for (const e of emails) {
      const k = e.toLowerCase();
      if (seen.has(k)) {
        problems.push(`emails: got ${JSON.stringify(e)} more than once; list each address once.`);
      }
      seen.add(k);
    }
    if (displayName.length === 0 || displayName.length > 100) {
      problems.push(
        `displayName: got ${JSON.stringify(displayName)}; expected 1 to 100 characters (the email sender name).`,
      );
    }
    if (!/^[A-Za-z0-9._-]+$/.test(args.alarmNamePrefix)) {
      problems.push(
        `alarmNamePrefix: got ${JSON.stringify(args.alarmNamePrefix)}; expected a literal alarm-name prefix such as "spotify-dev-" (letters, digits, ".", "_", "-").`,
      );
    }
    if (problems.length > 0) {
      throw new pulumi.ResourceError(`Notifications "${name}": ${problems.join(" ")}`, this);
    }

    this.topic = new aws.sns.Topic(
      `${name}-topic`,
      {
        displayName,
        kmsMasterKeyId: args.keyArn,
        // SHA256 signatures on deliveries (SignatureVersion 1 is SHA1).
        signatureVersion: 2,
      },
      { parent: this },
    );
    this.topicArn = this.topic.arn;
    this.topicName = this.topic.name;

    this.topicPolicy = new aws.sns.TopicPolicy(
      `${name}-topic`,
      {
        arn: this.topic.arn,
        policy: pulumi
          .all([
            this.topic.arn,
            args.accountId,
            pulumi.output(args.publisherRoleArns),
            pulumi.output(args.eventRuleArns ?? []),
          ])
          .apply(([topicArn, accountId, publisherRoleArns, eventRuleArns]) =>
            JSON.stringify(
              notificationTopicPolicy({
                partition: args.partition,
                region: args.region,
                accountId,
                topicArn,
                publisherRoleArns,
                alarmNamePrefix: args.alarmNamePrefix,
                eventRuleArns,
              }),
            ),
          ),
      },
      { parent: this },
    );

    this.subscriptions = emails.map(
      (email) =>
        new aws.sns.TopicSubscription(
          `${name}-email-${email.toLowerCase()}`,
          { topic: this.topic.arn, protocol: "email", endpoint: email },
          { parent: this },
        ),
    );

    this.registerOutputs({ topicArn: this.topicArn, topicName: this.topicName });
  }
}
