import { ArnFormat, CfnOutput, Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct } from 'constructs';
import type { RouteDeclaration } from '../../lambdas/api/route-types';
import { ApiFromRoutes } from '../constructs/api-from-routes';
import { AppFunction } from '../constructs/app-function';
import { ConsoleEdge } from '../constructs/console-edge';
import { standardWafRules, WAF_RESPONSE_BODIES, wafVisibility } from '../constructs/waf-rules';
import { BaseStack, type BaseStackProps } from './base-stack';

export interface ApiStackProps extends BaseStackProps {
  readonly routes: readonly RouteDeclaration[];
  readonly vpc: ec2.IVpc;
  readonly lambdaSecurityGroup: ec2.ISecurityGroup;
  readonly logsKey: kms.IKey;
  readonly piiKey: kms.IKey;
  readonly proxy: rds.IDatabaseProxy;
  readonly databaseName: string;
  readonly queue: sqs.IQueue;
  readonly userPool: cognito.IUserPool;
  readonly userPoolClient: cognito.IUserPoolClient;
  readonly scope: string;
  readonly resourceServer: cognito.IUserPoolResourceServer;
  readonly apiScope: cognito.ResourceServerScope;
  /** The CLOUDFRONT-scope web ACL of the console's distribution (us-east-1). */
  readonly edgeWebAclArn: string;
  /** The built console (web/dist). */
  readonly consoleAssetsDir: string;
}

/** Enhanced TLS policy: TLS 1.2 and 1.3 only, forward secrecy, post-quantum key exchange (S10). */
export const TLS_POLICY = apigw.SecurityPolicy.TLS13_1_2_PFS_PQ_2025_09;
export const METRIC_NAMESPACE = 'NemtDispatch';

/** JSON access log: ids, status and timings only; no bodies, no query strings (no PHI). */
const ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTimeEpoch',
  ip: '$context.identity.sourceIp',
  method: '$context.httpMethod',
  resource: '$context.resourcePath',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integration.latency',
  integrationStatus: '$context.integration.status',
  sub: '$context.authorizer.claims.sub',
  errorType: '$context.error.responseType',
  wafStatus: '$context.waf.status',
};
/**
 * Every value a JSON string, as API Gateway's own JSON format writes them: the template is then
 * valid JSON itself, and a `$context` variable that comes out empty or `-` cannot break a line.
 */
export const ACCESS_LOG_FORMAT = JSON.stringify(ACCESS_LOG_FIELDS);

/**
 * The REST API, its three functions (API, user management, intake) and its edge protection: the WAF web ACL (AWS managed rule
 * groups, a body-size rule, a per-IP rate rule for the public intake and an overall per-IP rate
 * rule), stage throttling, JSON access logs to an encrypted log group, X-Ray, TLS 1.2+.
 */
export class ApiStack extends BaseStack {
  readonly api: apigw.RestApi;
  readonly apiFunction: AppFunction;
  readonly usersFunction: AppFunction;
  readonly intakeFunction: AppFunction;
  readonly accessLogs: logs.LogGroup;
  readonly webAcl: wafv2.CfnWebACL;
  readonly authorizationFailures: cloudwatch.Metric;
  readonly routes: ApiFromRoutes;
  readonly consoleEdge: ConsoleEdge;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config } = this;

    const common = {
      vpc: props.vpc,
      securityGroup: props.lambdaSecurityGroup,
      encryptionKey: props.logsKey,
      logRetention: config.functions.logRetentionDays,
      removalPolicy: this.statefulRemovalPolicy,
      invocation: 'synchronous' as const,
      timeout: Duration.seconds(25),
    };
    this.apiFunction = new AppFunction(this, 'ApiFunction', {
      ...common,
      entry: 'lambdas/api/handler.ts',
      description: 'NEMT Dispatch API: every authenticated route',
      reservedConcurrency: config.functions.reservedConcurrency.api,
      memorySize: 1024,
      environment: {
        ENVIRONMENT: config.name,
        POWERTOOLS_SERVICE_NAME: 'nemt-api',
        PROVIDER_NAME: config.provider.name,
        PROVIDER_TIME_ZONE: config.provider.timeZone,
        PICKUP_WINDOW_MINUTES: String(config.provider.pickupWindowMinutes),
        MAX_ODOMETER_JUMP_MILES: String(config.provider.maxOdometerJumpMiles),
        STANDING_ORDER_HORIZON_DAYS: String(config.standingOrders.horizonDays),
      },
    });
    this.apiFunction
      .connectToDatabase(props.proxy, 'nemt_api_user', props.databaseName)
      .sendToQueue(props.queue)
      .encryptPiiWith(props.piiKey);

    // User management apart: the function every request reaches holds no right over the user pool.
    this.usersFunction = new AppFunction(this, 'UsersFunction', {
      ...common,
      entry: 'lambdas/users/handler.ts',
      description: 'NEMT Dispatch user management: invite, disable, enable (Cognito admin)',
      reservedConcurrency: config.functions.reservedConcurrency.users,
      memorySize: 512,
      environment: {
        ENVIRONMENT: config.name,
        POWERTOOLS_SERVICE_NAME: 'nemt-users',
        PROVIDER_NAME: config.provider.name,
        PROVIDER_TIME_ZONE: config.provider.timeZone,
      },
    });
    this.usersFunction
      .connectToDatabase(props.proxy, 'nemt_api_user', props.databaseName)
      .administerUsers(props.userPool);

    this.intakeFunction = new AppFunction(this, 'IntakeFunction', {
      ...common,
      entry: 'lambdas/intake/handler.ts',
      description: 'NEMT Dispatch public intake: write-only',
      reservedConcurrency: config.functions.reservedConcurrency.intake,
      memorySize: 512,
      environment: {
        ENVIRONMENT: config.name,
        POWERTOOLS_SERVICE_NAME: 'nemt-intake',
        SMS_ALLOWED_CALLING_CODES: config.intake.smsAllowedCallingCodes.join(','),
        INTAKE_RECEIPTS_PER_DESTINATION_PER_DAY: String(config.intake.receiptsPerDestinationPerDay),
      },
    });
    // The intake only writes; its outbox rows reach the queue through the relay.
    this.intakeFunction.connectToDatabase(props.proxy, 'nemt_intake_user', props.databaseName).encryptPiiWith(props.piiKey);

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      encryptionKey: props.logsKey,
      retention: config.audit.logRetentionDays,
      removalPolicy: this.statefulRemovalPolicy,
    });

    const customDomain = config.api.customDomain;
    this.routes = new ApiFromRoutes(this, 'Routes', {
      routes: props.routes,
      functions: { api: this.apiFunction, users: this.usersFunction, intake: this.intakeFunction },
      userPool: props.userPool,
      scope: props.scope,
      restApiName: `nemt-${config.name}`,
      description: `NEMT Dispatch API (${config.name})`,
      publicThrottle: { rateLimit: config.api.publicRateLimit, burstLimit: config.api.publicBurstLimit },
      disableExecuteApiEndpoint: customDomain !== undefined,
      deployOptions: {
        stageName: config.api.stageName,
        throttlingRateLimit: config.api.rateLimit,
        throttlingBurstLimit: config.api.burstLimit,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(ACCESS_LOG_FORMAT),
      },
    });
    this.api = this.routes.api;
    const cfnApi = this.api.node.defaultChild as apigw.CfnRestApi;
    cfnApi.securityPolicy = TLS_POLICY;
    cfnApi.endpointAccessMode = apigw.EndpointAccessMode.STRICT;
    if (customDomain) {
      this.api.addDomainName('CustomDomain', {
        domainName: customDomain.domainName,
        certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', customDomain.certificateArn),
        endpointType: apigw.EndpointType.REGIONAL,
        securityPolicy: TLS_POLICY,
        endpointAccessMode: apigw.EndpointAccessMode.STRICT,
      });
    }

    // 401 (authorizer) and 403 (role or tenant check in the function) from the access log.
    const filter = new logs.MetricFilter(this, 'AuthorizationFailuresFilter', {
      logGroup: this.accessLogs,
      filterPattern: logs.FilterPattern.any(
        logs.FilterPattern.stringValue('$.status', '=', '401'),
        logs.FilterPattern.stringValue('$.status', '=', '403'),
      ),
      metricNamespace: METRIC_NAMESPACE,
      metricName: `AuthorizationFailures-${config.name}`,
      metricValue: '1',
      defaultValue: 0,
    });
    this.authorizationFailures = filter.metric({ statistic: 'Sum', period: Duration.minutes(5) });

    // The console and its edge. Inside this stack on purpose: the distribution's /v1/* origin is
    // this API, the console's app client calls back to the distribution, and the functions
    // accept that client's tokens — across stacks that is a cycle, inside one it is a chain.
    this.consoleEdge = new ConsoleEdge(this, 'ConsoleEdge', {
      config,
      api: this.api,
      userPool: props.userPool,
      resourceServer: props.resourceServer,
      apiScope: props.apiScope,
      webAclArn: props.edgeWebAclArn,
      assetsDir: props.consoleAssetsDir,
      removalPolicy: this.statefulRemovalPolicy,
      vpc: props.vpc,
      lambdaSecurityGroup: props.lambdaSecurityGroup,
      logsKey: props.logsKey,
    });
    const clients = [props.userPoolClient, this.consoleEdge.client];
    this.apiFunction.verifyTokensFrom(props.userPool, clients, props.scope);
    this.usersFunction.verifyTokensFrom(props.userPool, clients, props.scope);
    new CfnOutput(this, 'ConsoleUrl', { value: this.consoleEdge.origin, description: 'The console and /v1 through CloudFront' });
    new CfnOutput(this, 'ConsoleClientId', { value: this.consoleEdge.client.userPoolClientId });

    this.webAcl = this.createWebAcl(props.routes, props.logsKey);
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.api.deploymentStage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }

  private createWebAcl(routes: readonly RouteDeclaration[], logsKey: kms.IKey): wafv2.CfnWebACL {
    const { config } = this;
    const metricPrefix = `nemt-${config.name}`;
    const rules = standardWafRules({
      routes, intakeLimitPer5Min: config.api.wafIntakeLimitPer5Min, ipLimitPer5Min: config.api.wafIpLimitPer5Min, metricPrefix,
    });

    const webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `nemt-${config.name}-api`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      rules,
      customResponseBodies: WAF_RESPONSE_BODIES,
      visibilityConfig: wafVisibility(metricPrefix, 'WebAcl'),
      // Inspect bodies up to the API's limit instead of the default 16 KB.
      associationConfig: { requestBody: { API_GATEWAY: { defaultSizeInspectionLimit: 'KB_64' } } },
    });

    const wafLogGroupName = `aws-waf-logs-nemt-${config.name}`;
    const wafLogs = new logs.LogGroup(this, 'WafLogs', {
      logGroupName: wafLogGroupName,
      encryptionKey: logsKey,
      retention: config.audit.logRetentionDays,
      removalPolicy: this.statefulRemovalPolicy,
    });
    const logging = new wafv2.CfnLoggingConfiguration(this, 'WebAclLogging', {
      resourceArn: webAcl.attrArn,
      // WAF wants the log group ARN without the trailing ':*'.
      logDestinationConfigs: [this.formatArn({
        service: 'logs', resource: 'log-group', resourceName: wafLogGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      })],
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { queryString: {} }],
    });
    logging.node.addDependency(wafLogs);
    return webAcl;
  }
}
