import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { RouteDeclaration } from '../../lambdas/api/route-types';
import { MAX_BODY_BYTES } from '../../lambdas/api/limits';

export interface WafRuleOptions {
  readonly routes: readonly RouteDeclaration[];
  /** Requests per client IP over five minutes to the public (intake) routes. */
  readonly intakeLimitPer5Min: number;
  /** Requests per client IP over five minutes, everything. */
  readonly ipLimitPer5Min: number;
  /** CloudWatch metric name prefix, e.g. `nemt-prod` or `nemt-prod-edge`. */
  readonly metricPrefix: string;
}

export function wafVisibility(metricPrefix: string, metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty {
  return { cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: `${metricPrefix}-${metricName}` };
}

/**
 * The rules both web ACLs share (the regional one on the API stage, the CloudFront one on the
 * distribution): a body-size rule at the API's own limit, a per-IP rate rule scoped to the public
 * routes, an overall per-IP rate rule, and AWS managed rule groups.
 */
export function standardWafRules(options: WafRuleOptions): wafv2.CfnWebACL.RuleProperty[] {
  const visibility = (name: string) => wafVisibility(options.metricPrefix, name);
  const managed = (name: string, priority: number, countInstead: string[] = []): wafv2.CfnWebACL.RuleProperty => ({
    name,
    priority,
    overrideAction: { none: {} },
    statement: {
      managedRuleGroupStatement: {
        vendorName: 'AWS',
        name,
        ...(countInstead.length > 0
          ? { ruleActionOverrides: countInstead.map((rule) => ({ name: rule, actionToUse: { count: {} } })) }
          : {}),
      },
    },
    visibilityConfig: visibility(name),
  });
  const publicPaths = options.routes.filter((route) => route.access === 'public').map((route) => route.path);
  const pathMatch = (path: string): wafv2.CfnWebACL.StatementProperty => ({
    byteMatchStatement: {
      fieldToMatch: { uriPath: {} },
      positionalConstraint: 'ENDS_WITH',
      searchString: path,
      textTransformations: [{ priority: 0, type: 'NONE' }],
    },
  });
  const intakeScope: wafv2.CfnWebACL.StatementProperty | undefined = publicPaths.length === 0
    ? undefined
    : publicPaths.length === 1
      ? pathMatch(publicPaths[0] as string)
      : { orStatement: { statements: publicPaths.map(pathMatch) } };

  return [
    {
      name: 'BodyTooLarge',
      priority: 0,
      action: { block: {} },
      statement: {
        sizeConstraintStatement: {
          fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
          comparisonOperator: 'GT',
          size: MAX_BODY_BYTES,
          textTransformations: [{ priority: 0, type: 'NONE' }],
        },
      },
      visibilityConfig: visibility('BodyTooLarge'),
    },
    ...(intakeScope
      ? [{
        name: 'IntakeRatePerIp',
        priority: 1,
        action: { block: {} },
        statement: {
          rateBasedStatement: {
            limit: options.intakeLimitPer5Min,
            evaluationWindowSec: 300,
            aggregateKeyType: 'IP',
            scopeDownStatement: intakeScope,
          },
        },
        visibilityConfig: visibility('IntakeRatePerIp'),
      }]
      : []),
    {
      name: 'RatePerIp',
      priority: 2,
      action: { block: {} },
      statement: { rateBasedStatement: { limit: options.ipLimitPer5Min, evaluationWindowSec: 300, aggregateKeyType: 'IP' } },
      visibilityConfig: visibility('RatePerIp'),
    },
    managed('AWSManagedRulesAmazonIpReputationList', 3),
    // The body-size rule above replaces the group's 8 KB body limit with the API's own limit.
    managed('AWSManagedRulesCommonRuleSet', 4, ['SizeRestrictions_BODY']),
    managed('AWSManagedRulesKnownBadInputsRuleSet', 5),
    managed('AWSManagedRulesSQLiRuleSet', 6),
  ];
}
