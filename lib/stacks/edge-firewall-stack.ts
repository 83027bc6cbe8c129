import { ArnFormat, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import type { RouteDeclaration } from '../../lambdas/api/route-types';
import type { EnvironmentConfig } from '../config';
import { standardWafRules, WAF_RESPONSE_BODIES, wafVisibility } from '../constructs/waf-rules';

/** CloudFront reads web ACLs (and certificates) only from us-east-1. */
export const EDGE_REGION = 'us-east-1';

export interface EdgeFirewallStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly routes: readonly RouteDeclaration[];
}

/**
 * The CLOUDFRONT-scope web ACL of the console's distribution (SECURITY S26, S15). It must live in
 * us-east-1 whatever the app's region, so it is a stack of its own pinned there; the API stack
 * reads its ARN through a weak cross-stack reference (Fn::GetStackOutput names the region). At the
 * edge WAF sees the viewer's own address, so the per-IP rate rules here are the ones that count
 * people; the regional ACL on the API stage sees CloudFront's addresses for console traffic.
 */
export class EdgeFirewallStack extends Stack {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: EdgeFirewallStackProps) {
    const { config } = props;
    super(scope, id, {
      ...props,
      env: { account: config.account, region: EDGE_REGION },
      terminationProtection: config.retainStatefulResources,
    });
    const edge = config.edge;
    const removalPolicy = config.retainStatefulResources ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const metricPrefix = `nemt-${config.name}-edge`;
    const rules = standardWafRules({
      routes: props.routes, intakeLimitPer5Min: edge.wafIntakeLimitPer5Min, ipLimitPer5Min: edge.wafIpLimitPer5Min, metricPrefix,
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `nemt-${config.name}-edge`,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      rules,
      customResponseBodies: WAF_RESPONSE_BODIES,
      visibilityConfig: wafVisibility(metricPrefix, 'WebAcl'),
      associationConfig: { requestBody: { CLOUDFRONT: { defaultSizeInspectionLimit: 'KB_64' } } },
    });

    // The logs key of the Keys stack lives in the app's region; CloudWatch Logs in us-east-1
    // needs a key of its own region.
    const logsKey = new kms.Key(this, 'EdgeLogsKey', {
      alias: `alias/nemt-${config.name}-edge-logs`,
      description: `NEMT Dispatch ${config.name}: the edge web ACL's logs (us-east-1)`,
      enableKeyRotation: true,
      pendingWindow: Duration.days(config.retainStatefulResources ? 30 : 7),
      removalPolicy,
    });
    logsKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchLogsEncryptLogGroupsOfThisAccount',
      principals: [new iam.ServicePrincipal(`logs.${EDGE_REGION}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${EDGE_REGION}:${this.account}:log-group:*` },
      },
    }));
    const wafLogGroupName = `aws-waf-logs-nemt-${config.name}-edge`;
    const wafLogs = new logs.LogGroup(this, 'WafLogs', {
      logGroupName: wafLogGroupName,
      encryptionKey: logsKey,
      retention: config.audit.logRetentionDays,
      removalPolicy,
    });
    const logging = new wafv2.CfnLoggingConfiguration(this, 'WebAclLogging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [this.formatArn({
        service: 'logs', resource: 'log-group', resourceName: wafLogGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      })],
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { queryString: {} }],
    });
    logging.node.addDependency(wafLogs);
  }
}
