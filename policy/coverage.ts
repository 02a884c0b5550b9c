/**
 * Fail-closed coverage: which @pulumi/aws resource types carry a policy document, a principal, a
 * policy attachment or a grant, and what the pack does with each. `test/policy-coverage.test.ts`
 * derives the set from the SDK's type definitions and fails when a type is in none of the lists
 * (a provider upgrade that adds one).
 *
 * - {@link CHECKED_TYPES}: judged by the pack's rules (policy/iam.ts, policy/storage.ts, ...).
 * - {@link NOT_IAM_TYPES}: the matching input is not an IAM document (a lifecycle rule set, ...).
 * - {@link REFUSED_TYPES}: not used by this pipeline; `policy-bearing-types-reviewed` refuses
 *   them (mandatory) unless config lists the type with a reason, so nothing unjudged slips in.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";

import { configSchemas, policyConfig } from "./config";
import { must } from "./support";

/** Types whose documents, principals, attachments or grants the pack judges. */
export const CHECKED_TYPES: readonly string[] = [
  "aws:iam/role:Role",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/policy:Policy",
  "aws:iam/groupPolicy:GroupPolicy",
  "aws:iam/userPolicy:UserPolicy",
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  "aws:iam/policyAttachment:PolicyAttachment",
  "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
  "aws:iam/userPolicyAttachment:UserPolicyAttachment",
  "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
  "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
  "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
  "aws:kms/key:Key",
  "aws:kms/keyPolicy:KeyPolicy",
  "aws:kms/grant:Grant",
  "aws:s3/bucket:Bucket",
  "aws:s3/bucketV2:BucketV2",
  "aws:s3/bucketPolicy:BucketPolicy",
  "aws:s3/bucketAcl:BucketAcl",
  "aws:s3/bucketAclV2:BucketAclV2",
  "aws:sns/topic:Topic",
  "aws:sns/topicPolicy:TopicPolicy",
  "aws:sqs/queue:Queue",
  "aws:sqs/queuePolicy:QueuePolicy",
  "aws:glue/resourcePolicy:ResourcePolicy",
  "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
  "aws:ec2/vpcEndpoint:VpcEndpoint",
  "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy",
  "aws:cloudcontrol/resource:Resource",
];

/** Types whose matching input is not an IAM document, each with why. */
export const NOT_IAM_TYPES: Readonly<Record<string, string>> = {
  "aws:pipes/pipe:Pipe": "desiredState is the pipe's RUNNING/STOPPED state, not a document.",
  "aws:ecr/lifecyclePolicy:LifecyclePolicy": "An image expiry rule set, not an IAM document.",
  "aws:opensearch/serverlessLifecyclePolicy:ServerlessLifecyclePolicy":
    "A data retention rule set, not an IAM document.",
  "aws:resiliencehub/resiliencyPolicy:ResiliencyPolicy":
    "Recovery objectives, not an IAM document.",
  "aws:sns/dataProtectionPolicy:DataProtectionPolicy":
    "A data-masking policy (no principals or grants), not an IAM document.",
  "aws:cloudwatch/logDataProtectionPolicy:LogDataProtectionPolicy":
    "A data-masking policy (no principals or grants), not an IAM document.",
  "aws:cloudwatch/logIndexPolicy:LogIndexPolicy":
    "A field-index configuration, not an IAM document.",
  "aws:ses/receiptFilter:ReceiptFilter":
    "An IP allow/block filter (policy is Allow or Block), not an IAM document.",
};

/** Refused types and the inputs that carry their documents, principals or grants. */
const REFUSED_INPUTS: Readonly<Record<string, string>> = {
  "aws:acmpca/permission:Permission": "principal",
  "aws:acmpca/policy:Policy": "policy",
  "aws:amp/resourcePolicy:ResourcePolicy": "policyDocument",
  "aws:apigateway/domainName:DomainName": "policy",
  "aws:apigateway/restApi:RestApi": "policy",
  "aws:apigateway/restApiPolicy:RestApiPolicy": "policy",
  "aws:backup/vaultPolicy:VaultPolicy": "policy",
  "aws:bedrock/agentcoreResourcePolicy:AgentcoreResourcePolicy": "policy",
  "aws:cloud9/environmentMembership:EnvironmentMembership": "permissions",
  "aws:cloudsearch/domainServiceAccessPolicy:DomainServiceAccessPolicy": "accessPolicy",
  "aws:cloudwatch/eventBusPolicy:EventBusPolicy": "policy",
  "aws:cloudwatch/eventPermission:EventPermission": "principal",
  "aws:cloudwatch/logAccountPolicy:LogAccountPolicy": "policyDocument",
  "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy": "accessPolicy",
  "aws:codeartifact/domainPermissions:DomainPermissions": "policyDocument",
  "aws:codeartifact/repositoryPermissionsPolicy:RepositoryPermissionsPolicy": "policyDocument",
  "aws:codebuild/resourcePolicy:ResourcePolicy": "policy",
  "aws:connect/securityProfile:SecurityProfile": "permissions",
  "aws:datazone/policyGrant:PolicyGrant": "principal",
  "aws:dsql/clusterPolicy:ClusterPolicy": "policy",
  "aws:dynamodb/resourcePolicy:ResourcePolicy": "policy",
  "aws:ec2/vpcEndpointService:VpcEndpointService": "allowedPrincipals",
  "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple": "principalArn",
  "aws:ecr/pullTimeUpdateExclusion:PullTimeUpdateExclusion": "principalArn",
  "aws:ecr/registryPolicy:RegistryPolicy": "policy",
  "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate": "repositoryPolicy",
  "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy",
  "aws:ecrpublic/repositoryPolicy:RepositoryPolicy": "policy",
  "aws:efs/fileSystemPolicy:FileSystemPolicy": "policy",
  "aws:eks/accessEntry:AccessEntry": "principalArn",
  "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": "policyArn,principalArn",
  "aws:eks/podIdentityAssociation:PodIdentityAssociation": "policy",
  "aws:elasticsearch/domain:Domain": "accessPolicies",
  "aws:elasticsearch/domainPolicy:DomainPolicy": "accessPolicies",
  "aws:glacier/vault:Vault": "accessPolicy",
  "aws:glacier/vaultLock:VaultLock": "policy",
  "aws:globalaccelerator/crossAccountAttachment:CrossAccountAttachment": "principals",
  "aws:iot/policy:Policy": "policy",
  "aws:iot/policyAttachment:PolicyAttachment": "policy",
  "aws:iot/thingPrincipalAttachment:ThingPrincipalAttachment": "principal",
  "aws:kinesis/resourcePolicy:ResourcePolicy": "policy",
  "aws:kms/externalKey:ExternalKey": "policy",
  "aws:kms/replicaExternalKey:ReplicaExternalKey": "policy",
  "aws:kms/replicaKey:ReplicaKey": "policy",
  "aws:lakeformation/optIn:OptIn": "principals",
  "aws:lakeformation/permissions:Permissions": "permissions,principal",
  "aws:lambda/layerVersionPermission:LayerVersionPermission": "principal",
  "aws:lambda/permission:Permission": "principal",
  "aws:lambda/resourcePolicy:ResourcePolicy": "policy",
  "aws:licensemanager/licenseGrant:LicenseGrant": "principal",
  "aws:mediastore/containerPolicy:ContainerPolicy": "policy",
  "aws:msk/clusterPolicy:ClusterPolicy": "policy",
  "aws:networkfirewall/resourcePolicy:ResourcePolicy": "policy",
  "aws:networkmanager/coreNetwork:CoreNetwork": "basePolicyDocument",
  "aws:networkmanager/coreNetworkPolicyAttachment:CoreNetworkPolicyAttachment": "policyDocument",
  "aws:oam/sinkPolicy:SinkPolicy": "policy",
  "aws:odb/network:Network": "kmsPolicyDocument,s3PolicyDocument,stsPolicyDocument",
  "aws:opensearch/domain:Domain": "accessPolicies",
  "aws:opensearch/domainPolicy:DomainPolicy": "accessPolicies",
  "aws:opensearch/serverlessAccessPolicy:ServerlessAccessPolicy": "policy",
  "aws:opensearch/serverlessSecurityPolicy:ServerlessSecurityPolicy": "policy",
  "aws:opensearchingest/resourcePolicy:ResourcePolicy": "policy",
  "aws:organizations/awsServiceAccess:AwsServiceAccess": "servicePrincipal",
  "aws:organizations/delegatedAdministrator:DelegatedAdministrator": "servicePrincipal",
  "aws:pinpoint/smsvoicev2ResourcePolicy:Smsvoicev2ResourcePolicy": "policy",
  "aws:quicksight/analysis:Analysis": "permissions",
  "aws:quicksight/dashboard:Dashboard": "permissions",
  "aws:quicksight/dataSet:DataSet": "permissions",
  "aws:quicksight/dataSource:DataSource": "permissions",
  "aws:quicksight/folder:Folder": "permissions",
  "aws:quicksight/iamPolicyAssignment:IamPolicyAssignment": "policyArn",
  "aws:quicksight/template:Template": "permissions",
  "aws:quicksight/theme:Theme": "permissions",
  "aws:ram/principalAssociation:PrincipalAssociation": "principal",
  "aws:ram/resourceShareAssociationsExclusive:ResourceShareAssociationsExclusive": "principals",
  "aws:redshift/resourcePolicy:ResourcePolicy": "policy",
  "aws:redshiftserverless/resourcePolicy:ResourcePolicy": "policy",
  "aws:resiliencehub/v2Service:V2Service": "policyArn",
  "aws:resiliencehub/v2UserJourney:V2UserJourney": "policyArn",
  "aws:rolesanywhere/profile:Profile": "managedPolicyArns,sessionPolicy",
  "aws:s3/accessPoint:AccessPoint": "policy",
  "aws:s3/filesFileSystemPolicy:FilesFileSystemPolicy": "policy",
  "aws:s3/objectCopy:ObjectCopy": "grants",
  "aws:s3/vectorsVectorBucketPolicy:VectorsVectorBucketPolicy": "policy",
  "aws:s3control/accessGrantsInstanceResourcePolicy:AccessGrantsInstanceResourcePolicy": "policy",
  "aws:s3control/accessPointPolicy:AccessPointPolicy": "policy",
  "aws:s3control/bucketPolicy:BucketPolicy": "policy",
  "aws:s3control/objectLambdaAccessPointPolicy:ObjectLambdaAccessPointPolicy": "policy",
  "aws:s3tables/tableBucketPolicy:TableBucketPolicy": "resourcePolicy",
  "aws:s3tables/tablePolicy:TablePolicy": "resourcePolicy",
  "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy": "resourcePolicy",
  "aws:schemas/registryPolicy:RegistryPolicy": "policy",
  "aws:secretsmanager/secret:Secret": "policy",
  "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
  "aws:servicecatalog/portfolioShare:PortfolioShare": "sharePrincipals",
  "aws:servicecatalog/principalPortfolioAssociation:PrincipalPortfolioAssociation": "principalArn",
  "aws:ses/identityPolicy:IdentityPolicy": "policy",
  "aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy": "policy",
  "aws:signer/signingProfilePermission:SigningProfilePermission": "principal",
  "aws:ssm/document:Document": "permissions",
  "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment": "managedPolicyArn",
  "aws:ssoadmin/managedPolicyAttachmentsExclusive:ManagedPolicyAttachmentsExclusive":
    "managedPolicyArns",
  "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy": "inlinePolicy",
  "aws:transfer/access:Access": "policy",
  "aws:transfer/user:User": "policy",
  "aws:verifiedaccess/endpoint:Endpoint": "policyDocument",
  "aws:verifiedaccess/group:Group": "policyDocument",
  "aws:vpclattice/authPolicy:AuthPolicy": "policy",
  "aws:vpclattice/resourcePolicy:ResourcePolicy": "policy",
  "aws:xray/resourcePolicy:ResourcePolicy": "policyDocument",
};

/** Refused types, each with the reason (built from the inputs that make it policy-bearing). */
export const REFUSED_TYPES: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(REFUSED_INPUTS).map(([type, inputs]) => [
    type,
    `The pipeline does not use it and no rule of the pack judges its ${inputs}: refused unless policy-bearing-types-reviewed.allowedTypes lists it with a reason.`,
  ]),
);

/** Refuses policy-bearing resource types the pack does not judge. */
export const policyBearingTypesReviewed: ResourceValidationPolicy = {
  name: "policy-bearing-types-reviewed",
  description:
    "Checks that the stack creates no resource type that carries a policy document, principal, attachment or grant the pack does not judge (see policy/coverage.ts), unless allowedTypes lists it with a reason.",
  configSchema: configSchemas["policy-bearing-types-reviewed"],
  validateResource: (args, report) => {
    const inputs = REFUSED_INPUTS[args.type];
    if (inputs === undefined) {
      return args.notApplicable(
        "Policy only applies to policy-bearing types the pack does not judge",
      );
    }
    const { allowedTypes } = policyConfig("policy-bearing-types-reviewed", args);
    if (allowedTypes.some((a) => a.type === args.type)) return;
    report(
      must(
        `${args.type} '${args.name}'`,
        "be a type whose policy documents, principals or grants the pack judges (or be listed with a reason in policy-bearing-types-reviewed.allowedTypes)",
        `its ${inputs} unjudged`,
      ),
    );
  },
};
