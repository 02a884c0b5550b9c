/**
 * `pulumi-resource-awsx` DOUBLE: a stand-in for the awsx component provider that the Pulumi CLI
 * finds on PATH (tools/engine/bin/). Not awsx: it proves the engine path, not AWS.
 *
 * `awsx:ec2:Vpc` is served through `construct`: it registers the children awsx would (the VPC,
 * one subnet per spec and zone, a route table and association per subnet; tools/awsx-vpc.ts, the
 * same layout the offline mocks use) with the engine, so policies, state and tests see them, and
 * returns the component's outputs from those children (ids from the aws double's mockOutputs).
 * Subnets and route tables come back as plain objects where awsx returns resource references.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type * as provider from "@pulumi/pulumi/provider";

import { vpcLayout, vpcOutputs } from "../../awsx-vpc";
import { serveDouble } from "./serve";

/** Resolves component inputs (outputs of the calling program) to plain values. */
async function plain(inputs: pulumi.Inputs): Promise<Record<string, unknown>> {
  const out = pulumi.output(inputs) as unknown as { promise(): Promise<Record<string, unknown>> };
  return out.promise();
}

/** The component as the calling program registered it; children hang under it. */
class VpcDouble extends pulumi.ComponentResource {
  constructor(name: string, opts: pulumi.ComponentResourceOptions) {
    super("awsx:ec2:Vpc", name, {}, opts);
  }
  complete(outputs: pulumi.Inputs): void {
    this.registerOutputs(outputs);
  }
}

async function constructVpc(
  name: string,
  inputs: pulumi.Inputs,
  options: pulumi.ComponentResourceOptions,
): Promise<provider.ConstructResult> {
  const component = new VpcDouble(name, options);
  const region = (await aws.getRegion({}, { parent: component })).region;
  const layout = vpcLayout(name, await plain(inputs), region);
  const vpc = new aws.ec2.Vpc(layout.vpc.name, layout.vpc.inputs, { parent: component });
  const subnets = layout.subnets.map((s) => {
    const subnet = new aws.ec2.Subnet(
      s.name,
      { ...s.inputs, vpcId: vpc.id },
      { parent: component },
    );
    const table = new aws.ec2.RouteTable(
      s.routeTable.name,
      { ...s.routeTable.inputs, vpcId: vpc.id },
      { parent: subnet },
    );
    new aws.ec2.RouteTableAssociation(
      s.association.name,
      { subnetId: subnet.id, routeTableId: table.id },
      { parent: subnet },
    );
    return {
      subnetType: s.subnetType,
      subnet: {
        id: subnet.id,
        arn: subnet.arn,
        availabilityZone: pulumi.output(s.availabilityZone),
        vpcId: vpc.id,
      },
      routeTableId: table.id,
    };
  });
  const state = vpcOutputs<pulumi.Output<string>>(vpc.id, subnets);
  component.complete(state);
  return { urn: component.urn, state };
}

export const awsxDouble: provider.Provider = {
  version: "3.9.0",
  construct: (name, type, inputs, options) => {
    if (type !== "awsx:ec2:Vpc") {
      return Promise.reject(
        new Error(
          `The awsx double serves awsx:ec2:Vpc only; found ${type}. Add it to tools/engine/doubles/awsx.ts.`,
        ),
      );
    }
    return constructVpc(name, inputs, options);
  },
};

if (require.main === module) void serveDouble(awsxDouble);
