/**
 * The children an `awsx.ec2.Vpc` creates, as plain data: the VPC, one subnet per subnet spec and
 * availability zone, and a route table with its association per subnet, named as awsx 3.x names
 * them (`<vpc>-<spec name or type>-<n>`). One definition for both stand-ins of the remote
 * component: the offline synthesis's mock outputs (tools/synth.ts) and the awsx provider double's
 * `construct` (tools/engine/doubles/awsx.ts), so their ids agree.
 *
 * Simplification: subnet CIDRs split the VPC range evenly (one block per subnet); awsx's "Auto"
 * strategy sizes them differently. Nothing here reaches AWS.
 */

/** One child resource: its type token, name and inputs. */
export interface VpcChild {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

/** A subnet of the layout, with the route table that serves it. */
export interface VpcSubnet extends VpcChild {
  /** awsx subnet type: Private, Public or Isolated. */
  subnetType: string;
  availabilityZone: string;
  routeTable: VpcChild;
  association: VpcChild;
}

/** The VPC and its subnets. */
export interface VpcLayout {
  vpc: VpcChild;
  subnets: VpcSubnet[];
}

/** The first `count` blocks of `/prefix + bits` inside an IPv4 CIDR. */
function splitCidr(cidr: string, count: number): string[] {
  const [ip, len] = cidr.split("/");
  const base = (ip ?? "10.0.0.0").split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const bits = Math.ceil(Math.log2(Math.max(count, 1)));
  const prefix = Number(len ?? 16) + bits;
  const size = 2 ** (32 - prefix);
  return Array.from({ length: count }, (_, i) => {
    const n = base + i * size;
    return `${[24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".")}/${prefix}`;
  });
}

/** The children awsx would create for a Vpc named `name` with these inputs, in `region`. */
export function vpcLayout(
  name: string,
  inputs: Record<string, unknown>,
  region: string,
): VpcLayout {
  const specs = Array.isArray(inputs.subnetSpecs)
    ? (inputs.subnetSpecs as { type?: string; name?: string }[])
    : [{ type: "Private" }];
  const azCount =
    typeof inputs.numberOfAvailabilityZones === "number" ? inputs.numberOfAvailabilityZones : 2;
  const zones = [..."abcdef"].slice(0, azCount).map((z) => `${region}${z}`);
  const cidrBlock = typeof inputs.cidrBlock === "string" ? inputs.cidrBlock : "10.0.0.0/16";
  const cidrs = splitCidr(cidrBlock, specs.length * zones.length);
  const vpc: VpcChild = {
    type: "aws:ec2/vpc:Vpc",
    name,
    inputs: {
      cidrBlock,
      enableDnsHostnames: inputs.enableDnsHostnames ?? false,
      enableDnsSupport: inputs.enableDnsSupport ?? true,
      tags: { Name: name },
    },
  };
  const subnets = specs.flatMap((spec, s) =>
    zones.map((availabilityZone, z): VpcSubnet => {
      const subnetType = spec.type ?? "Private";
      const subnetName = `${name}-${spec.name ?? subnetType.toLowerCase()}-${z + 1}`;
      return {
        type: "aws:ec2/subnet:Subnet",
        name: subnetName,
        subnetType,
        availabilityZone,
        inputs: {
          availabilityZone,
          cidrBlock: cidrs[s * zones.length + z],
          mapPublicIpOnLaunch: subnetType === "Public",
          tags: { Name: subnetName, SubnetType: subnetType },
        },
        routeTable: {
          type: "aws:ec2/routeTable:RouteTable",
          name: subnetName,
          inputs: { tags: { Name: subnetName } },
        },
        association: {
          type: "aws:ec2/routeTableAssociation:RouteTableAssociation",
          name: subnetName,
          inputs: {},
        },
      };
    }),
  );
  return { vpc, subnets };
}

/** A subnet's values as an awsx:ec2:Vpc output lists them (plain values or pulumi outputs). */
export interface SubnetValues<V> {
  id: V;
  arn: V;
  availabilityZone: V;
  vpcId: V;
}

/**
 * The awsx:ec2:Vpc outputs from its children's values: the mocks pass plain ids, the awsx double
 * the children's outputs. One shape for both.
 */
export function vpcOutputs<V>(
  vpcId: V,
  subnets: { subnetType: string; subnet: SubnetValues<V>; routeTableId: V }[],
): Record<string, unknown> {
  const ofType = (t: string) => subnets.filter((s) => s.subnetType === t).map((s) => s.subnet);
  return {
    vpcId,
    privateSubnetIds: ofType("Private").map((s) => s.id),
    publicSubnetIds: ofType("Public").map((s) => s.id),
    isolatedSubnetIds: ofType("Isolated").map((s) => s.id),
    privateSubnets: ofType("Private"),
    publicSubnets: ofType("Public"),
    isolatedSubnets: ofType("Isolated"),
    routeTables: subnets.map((s) => ({ id: s.routeTableId, vpcId })),
  };
}
