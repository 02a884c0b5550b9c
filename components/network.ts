import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";

import { INTERFACE_ENDPOINT_SERVICES } from "../lib/etl";
import type { PolicyDocument } from "../lib/iam/document";
import { type EndpointService, endpointPolicy } from "../lib/iam/network";

/** Arguments of {@link GlueNetwork}. */
export interface GlueNetworkArgs {
  /** AWS region of the stack (endpoint service names). */
  region: string;
  /** IPv4 CIDR of the VPC, /16 to /24 (validated by GlueEtl). */
  cidrBlock: string;
  /** Availability zones of the isolated subnets, 1 to 6 (validated by GlueEtl). */
  availabilityZoneCount: number;
}

/** Options of {@link GlueNetwork}. */
export interface GlueNetworkOptions extends pulumi.ComponentResourceOptions {
  /**
   * The parent the network's resources had before this component existed (they were children
   * of GlueEtl): each child gets an alias to it, so moving them here replaces nothing.
   */
  childAliasParent?: pulumi.Resource;
}

/** One security group rule of the job's network: which group, which peer, which port range. */
interface RuleSpec {
  /** Logical name suffix, e.g. `job-from-self`. */
  name: string;
  direction: "ingress" | "egress";
  group: "job" | "endpoints";
  /** Another group of the network, or the S3 gateway endpoint's prefix list. */
  peer: "job" | "endpoints" | "s3";
  ports: [number, number];
  description: string;
}

/**
 * The job's traffic, one row per rule: Glue's self-referencing rule on all TCP ports (driver <->
 * executors), HTTPS to the interface endpoints and to S3 through the gateway endpoint.
 */
const RULES: readonly RuleSpec[] = [
  {
    name: "job-from-self",
    direction: "ingress",
    group: "job",
    peer: "job",
    ports: [0, 65535],
    description: "Glue: all TCP between the job's own ENIs",
  },
  {
    name: "job-to-self",
    direction: "egress",
    group: "job",
    peer: "job",
    ports: [0, 65535],
    description: "Glue: all TCP between the job's own ENIs",
  },
  {
    name: "job-to-endpoints",
    direction: "egress",
    group: "job",
    peer: "endpoints",
    ports: [443, 443],
    description: "HTTPS to the interface endpoints (Glue, Logs, KMS, STS, CloudWatch)",
  },
  {
    name: "job-to-s3",
    direction: "egress",
    group: "job",
    peer: "s3",
    ports: [443, 443],
    description: "HTTPS to S3 through the gateway endpoint",
  },
  {
    name: "endpoints-from-job",
    direction: "ingress",
    group: "endpoints",
    peer: "job",
    ports: [443, 443],
    description: "HTTPS from the Glue job",
  },
];

/**
 * The isolated network a Glue job runs in: an awsx VPC with isolated subnets only (no NAT, no
 * internet route), an S3 gateway endpoint on every route table, interface endpoints with private
 * DNS, a security group for the job and one for the endpoints, and the Glue NETWORK connection.
 * @see https://docs.aws.amazon.com/glue/latest/dg/vpc-interface-endpoints.html
 */
export class GlueNetwork extends pulumi.ComponentResource {
  /** The VPC's id. */
  readonly vpcId: pulumi.Output<string>;
  /** The subnet the job's ENIs go into (the connection's subnet). */
  readonly subnetIds: pulumi.Output<string[]>;
  /** The job's security group. */
  readonly securityGroupId: pulumi.Output<string>;
  /** The Glue NETWORK connection the job names. */
  readonly connection: aws.glue.Connection;
  /** The gateway and interface endpoints (the job depends on them). */
  readonly endpoints: aws.ec2.VpcEndpoint[];
  /** Each endpoint by its service (`s3` is the gateway endpoint). */
  private readonly byService: [EndpointService, aws.ec2.VpcEndpoint][];
  private readonly childPrefix: string;

  constructor(name: string, args: GlueNetworkArgs, opts: GlueNetworkOptions = {}) {
    const { childAliasParent, ...rest } = opts;
    super("spotify-pipeline:network:GlueNetwork", name, {}, rest);
    const child: pulumi.CustomResourceOptions = {
      parent: this,
      ...(childAliasParent ? { aliases: [{ parent: childAliasParent }] } : {}),
    };
    const vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: args.cidrBlock,
        numberOfAvailabilityZones: args.availabilityZoneCount,
        subnetStrategy: "Auto",
        subnetSpecs: [{ type: "Isolated", name: "glue" }],
        natGateways: { strategy: "None" },
        // Interface endpoints with private DNS need both.
        enableDnsHostnames: true,
        enableDnsSupport: true,
      },
      child,
    );
    // Route tables and subnets are resource references of the remote component; their ids may
    // be plain strings or outputs, which pulumi.all flattens either way.
    const routeTableIds = vpc.routeTables.apply((tables) => pulumi.all(tables.map((t) => t.id)));
    const firstSubnet: pulumi.Output<{ id: string; availabilityZone: string }> =
      vpc.isolatedSubnets.apply((subnets) => {
        const first = subnets[0];
        if (!first) throw new Error(`GlueNetwork "${name}": the isolated VPC has no subnet.`);
        return pulumi.all([first.id, first.availabilityZone]).apply(([id, availabilityZone]) => ({
          id,
          availabilityZone,
        }));
      });

    const groups = {
      job: new aws.ec2.SecurityGroup(
        `${name}-job-sg`,
        {
          vpcId: vpc.vpcId,
          description: "Glue job ENIs: self-referencing traffic (Spark) and HTTPS to VPC endpoints",
          revokeRulesOnDelete: true,
        },
        child,
      ),
      endpoints: new aws.ec2.SecurityGroup(
        `${name}-endpoints-sg`,
        {
          vpcId: vpc.vpcId,
          description: "VPC interface endpoints: HTTPS from the Glue job only",
          revokeRulesOnDelete: true,
        },
        child,
      ),
    };

    const s3Endpoint = new aws.ec2.VpcEndpoint(
      `${name}-s3`,
      {
        vpcId: vpc.vpcId,
        serviceName: `com.amazonaws.${args.region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds,
      },
      child,
    );
    const interfaceEndpoints = INTERFACE_ENDPOINT_SERVICES.map(
      (service) =>
        new aws.ec2.VpcEndpoint(
          `${name}-${service}`,
          {
            vpcId: vpc.vpcId,
            serviceName: `com.amazonaws.${args.region}.${service}`,
            vpcEndpointType: "Interface",
            privateDnsEnabled: true,
            subnetIds: vpc.isolatedSubnetIds,
            securityGroupIds: [groups.endpoints.id],
          },
          child,
        ),
    );

    for (const rule of RULES) {
      const ruleArgs = {
        securityGroupId: groups[rule.group].id,
        ...(rule.peer === "s3"
          ? { prefixListId: s3Endpoint.prefixListId }
          : { referencedSecurityGroupId: groups[rule.peer].id }),
        ipProtocol: "tcp",
        fromPort: rule.ports[0],
        toPort: rule.ports[1],
        description: rule.description,
      };
      if (rule.direction === "ingress") {
        new aws.vpc.SecurityGroupIngressRule(`${name}-${rule.name}`, ruleArgs, child);
      } else {
        new aws.vpc.SecurityGroupEgressRule(`${name}-${rule.name}`, ruleArgs, child);
      }
    }

    this.connection = new aws.glue.Connection(
      `${name}-network`,
      {
        connectionType: "NETWORK",
        description: `spotify-pipeline ${name}: the isolated subnet the Glue job runs in`,
        physicalConnectionRequirements: {
          subnetId: firstSubnet.apply((subnet) => subnet.id),
          availabilityZone: firstSubnet.apply((subnet) => subnet.availabilityZone),
          securityGroupIdLists: [groups.job.id],
        },
      },
      child,
    );
    this.vpcId = vpc.vpcId;
    // The job's ENIs go only into the connection's subnet.
    this.subnetIds = firstSubnet.apply((subnet) => [subnet.id]);
    this.securityGroupId = groups.job.id;
    this.endpoints = [s3Endpoint, ...interfaceEndpoints];
    this.childPrefix = name;
    this.byService = [
      ["s3", s3Endpoint],
      ...INTERFACE_ENDPOINT_SERVICES.map((service, i): [EndpointService, aws.ec2.VpcEndpoint] => [
        service,
        interfaceEndpoints[i]!,
      ]),
    ];
    this.registerOutputs({
      vpcId: this.vpcId,
      subnetIds: this.subnetIds,
      securityGroupId: this.securityGroupId,
    });
  }

  /**
   * Restricts every endpoint to what the job's role may do with its service, for principals of
   * `accountId` only (`lib/iam/network.ts`). Called once the job's policy exists: it names the
   * network's own VPC, subnets and connection, so it cannot be an input of the endpoints.
   * @returns the endpoint policies (the job depends on them: it must not start before they apply).
   */
  restrictEndpoints(
    jobPolicy: pulumi.Input<string>,
    accountId: pulumi.Input<string>,
  ): aws.ec2.VpcEndpointPolicy[] {
    return this.byService.map(
      ([service, endpoint]) =>
        new aws.ec2.VpcEndpointPolicy(
          `${this.childPrefix}-${service}-policy`,
          {
            vpcEndpointId: endpoint.id,
            policy: pulumi
              .all([jobPolicy, accountId])
              .apply(([doc, account]) =>
                JSON.stringify(endpointPolicy(service, JSON.parse(doc) as PolicyDocument, account)),
              ),
          },
          { parent: this },
        ),
    );
  }
}
