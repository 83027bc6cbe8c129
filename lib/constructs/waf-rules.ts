import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { RouteDeclaration } from '../../lambdas/api/route-types';
import { MAX_BODY_BYTES, WAF_RATE_RETRY_AFTER_SECONDS } from '../../lambdas/api/limits';

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

const RATE_LIMITED_BODY = 'TooManyRequests';

/**
 * The body the rate rules answer with: the API's problem (RFC 9457) shape. WAF sends it as
 * application/json (it offers no problem+json); each web ACL names it in customResponseBodies.
 */
export const WAF_RESPONSE_BODIES: Record<string, wafv2.CfnWebACL.CustomResponseBodyProperty> = {
  [RATE_LIMITED_BODY]: {
    contentType: 'APPLICATION_JSON',
    content: JSON.stringify({ type: 'urn:nemt:problem:too-many-requests', title: 'Too Many Requests', status: 429,
      detail: 'Too many requests from your address; wait a few minutes and try again.' }),
  },
};

/** 429 with Retry-After, as API Gateway's own throttling answers (not WAF's default 403). */
const rateLimited: wafv2.CfnWebACL.RuleActionProperty = {
  block: { customResponse: { responseCode: 429, customResponseBodyKey: RATE_LIMITED_BODY,
    responseHeaders: [{ name: 'Retry-After', value: String(WAF_RATE_RETRY_AFTER_SECONDS) }] } },
};

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
        action: rateLimited,
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
      action: rateLimited,
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
