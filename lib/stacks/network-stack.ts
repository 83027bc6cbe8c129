import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { ManagedPolicyRole } from '../constructs/managed-policy-role';
import { BaseStack, type BaseStackProps } from './base-stack';

export interface NetworkStackProps extends BaseStackProps {
  readonly logsKey: kms.IKey;
}

/** The port every client uses for PostgreSQL, through the proxy and behind it. */
export const POSTGRES_PORT = 5432;

/** The AWS services the Lambdas call, reached without leaving the VPC (S12). */
export const INTERFACE_ENDPOINTS = {
  Sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
  Kms: ec2.InterfaceVpcEndpointAwsService.KMS,
  Sns: ec2.InterfaceVpcEndpointAwsService.SNS,
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  CloudWatchLogs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  RdsData: ec2.InterfaceVpcEndpointAwsService.RDS_DATA,
  Sts: ec2.InterfaceVpcEndpointAwsService.STS,
} as const;

/**
 * Three tiers (S12): public subnets hold only NAT gateways; private subnets with egress hold the
 * Lambdas and the interface endpoints; isolated subnets hold the database and RDS Proxy (their
 * security groups live in the data stack). Lambda → endpoints on 443 only; nothing can reach the
 * Lambdas, and the default security group is emptied.
 */
export class NetworkStack extends BaseStack {
  readonly vpc: ec2.Vpc;
  readonly lambdaSecurityGroup: ec2.SecurityGroup;
  readonly endpointSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { config } = this;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(config.network.cidr),
      availabilityZones: [...config.availabilityZones],
      natGateways: config.network.natGateways,
      restrictDefaultSecurityGroup: true,
      subnetConfiguration: [
        { name: 'edge', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });

    // Zones come from configuration on purpose (offline, deterministic synth; see lib/config.ts).
    Validations.of(this.vpc).acknowledge({
      id: 'CloudFormation-Validate::W3010',
      reason: 'Availability zones are pinned by configuration so synth needs no lookup',
    });

    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      encryptionKey: props.logsKey,
      retention: config.audit.logRetentionDays,
      removalPolicy: this.statefulRemovalPolicy,
    });
    const flowLogRole = new ManagedPolicyRole(this, 'FlowLogRole', {
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com'),
      description: 'VPC flow logs write to their encrypted log group',
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup, flowLogRole),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    const group = (name: string, description: string) =>
      new ec2.SecurityGroup(this, name, { vpc: this.vpc, description, allowAllOutbound: false });
    this.lambdaSecurityGroup = group('LambdaSecurityGroup', 'NEMT Lambda functions: no ingress');
    this.endpointSecurityGroup = group('EndpointSecurityGroup', 'NEMT interface endpoints: ingress from the Lambda functions only');

    // AWS APIs through the endpoints, and through NAT for the services without one in this VPC
    // (SES, the Cognito JWKS and admin APIs). PostgreSQL to the proxy is opened by the data stack.
    this.lambdaSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS service APIs');
    this.endpointSecurityGroup.connections.allowFrom(this.lambdaSecurityGroup, ec2.Port.tcp(443), 'HTTPS from the Lambda functions');

    for (const [name, service] of Object.entries(INTERFACE_ENDPOINTS)) {
      this.vpc.addInterfaceEndpoint(name, {
        service,
        subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [this.endpointSecurityGroup],
        open: false,
        privateDnsEnabled: true,
      });
    }

    for (const subnet of this.vpc.publicSubnets) {
      NagSuppressions.addResourceSuppressions(subnet, [{
        id: 'HIPAA.Security-VPCNoUnrestrictedRouteToIGW',
        reason: 'Public (edge) subnets hold only the NAT gateways, which need the default route to the internet '
          + 'gateway; nothing else is placed there and no subnet assigns public IPs.',
      }], true);
    }
  }
}
