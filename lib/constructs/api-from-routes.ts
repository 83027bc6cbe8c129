import { Duration } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { RouteDeclaration, RouteFunction } from '../../lambdas/api/route-types';
import { MAX_BODY_BYTES } from '../../lambdas/api/limits';
import { type HttpProblem, Problems } from '../../lambdas/shared/http/problem';

export interface PublicThrottle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export interface ApiFromRoutesProps {
  /** The route table; every resource and method of the API comes from it and nothing else. */
  readonly routes: readonly RouteDeclaration[];
  readonly functions: Readonly<Record<RouteFunction, lambda.IFunction>>;
  readonly userPool: cognito.IUserPool;
  /** OAuth scope required on every authenticated method; only access tokens carry it. */
  readonly scope: string;
  readonly restApiName: string;
  readonly description?: string;
  readonly deployOptions: Omit<apigw.StageOptions, 'methodOptions'>;
  /** Method throttling for public routes, tighter than the stage's. */
  readonly publicThrottle: PublicThrottle;
  readonly disableExecuteApiEndpoint?: boolean;
}

/**
 * API Gateway's own refusals, as the functions would answer them. MISSING_AUTHENTICATION_TOKEN is
 * what a REST API answers (403) for a path or method it does not have: here a 404, as the
 * function's router answers. Integration failures and timeouts are the function being unreachable.
 */
export const GATEWAY_PROBLEMS: readonly (readonly [string, apigw.ResponseType, HttpProblem])[] = [
  ['Unauthorized', apigw.ResponseType.UNAUTHORIZED, Problems.unauthenticated()],
  ['ExpiredToken', apigw.ResponseType.EXPIRED_TOKEN, Problems.unauthenticated()],
  ['AccessDenied', apigw.ResponseType.ACCESS_DENIED, Problems.forbidden()],
  ['NoSuchRoute', apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, Problems.routeNotFound()],
  ['BadRequestParameters', apigw.ResponseType.BAD_REQUEST_PARAMETERS, Problems.invalidParameters()],
  ['RequestTooLarge', apigw.ResponseType.REQUEST_TOO_LARGE, Problems.tooLarge(MAX_BODY_BYTES)],
  ['Throttled', apigw.ResponseType.THROTTLED, Problems.tooManyRequests()],
  ['QuotaExceeded', apigw.ResponseType.QUOTA_EXCEEDED, Problems.tooManyRequests()],
  ['IntegrationFailure', apigw.ResponseType.INTEGRATION_FAILURE, Problems.unavailable()],
  ['IntegrationTimeout', apigw.ResponseType.INTEGRATION_TIMEOUT, Problems.unavailable()],
];

const PUSH_TO_CLOUDWATCH_POLICY = 'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs';

const PATH = /^(\/[A-Za-z0-9._-]+|\/\{[A-Za-z][A-Za-z0-9]*\})+$/;

/** Throws on a route table the API cannot faithfully express. */
export function checkRoutes(routes: readonly RouteDeclaration[]): void {
  const seenIds = new Set<string>();
  const seenOperations = new Set<string>();
  for (const route of routes) {
    if (seenIds.has(route.id)) throw new Error(`route id ${route.id} is declared twice`);
    seenIds.add(route.id);
    const operation = `${route.method} ${route.path}`;
    if (seenOperations.has(operation)) throw new Error(`${operation} is declared twice`);
    seenOperations.add(operation);
    if (!PATH.test(route.path)) throw new Error(`route ${route.id}: path ${route.path} is not an API Gateway path`);
    if (route.access === 'public' && route.roles.length > 0) throw new Error(`public route ${route.id} lists roles`);
    if (route.access === 'authenticated' && route.roles.length === 0) throw new Error(`route ${route.id} allows no role`);
  }
}

export function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z][A-Za-z0-9]*)\}/g)].map((match) => match[1] as string);
}

/** The key API Gateway stage method settings use for one method. */
export function methodSettingsKey(route: Pick<RouteDeclaration, 'method' | 'path'>): string {
  return `${route.path}/${route.method}`;
}

/**
 * A REST API generated from the route table. Authenticated routes get the Cognito user-pool
 * authorizer with the API scope; public routes get no authorizer and method throttling tighter
 * than the stage. Every method validates its required path parameters, and each function may be
 * invoked only by the methods that route to it.
 */
export class ApiFromRoutes extends Construct {
  readonly api: apigw.RestApi;
  readonly authorizer: apigw.CognitoUserPoolsAuthorizer;
  /** Methods by route id. */
  readonly methods: ReadonlyMap<string, apigw.Method>;

  constructor(scope: Construct, id: string, props: ApiFromRoutesProps) {
    super(scope, id);
    checkRoutes(props.routes);

    const methodOptions: Record<string, apigw.MethodDeploymentOptions> = {};
    for (const route of props.routes.filter((candidate) => candidate.access === 'public')) {
      methodOptions[methodSettingsKey(route)] = {
        throttlingRateLimit: props.publicThrottle.rateLimit,
        throttlingBurstLimit: props.publicThrottle.burstLimit,
      };
    }

    this.api = new apigw.RestApi(this, 'Api', {
      restApiName: props.restApiName,
      description: props.description,
      endpointConfiguration: { types: [apigw.EndpointType.REGIONAL] },
      deployOptions: { ...props.deployOptions, methodOptions },
      // API Gateway writes access and execution logs with this account-level role.
      cloudWatchRole: true,
      disableExecuteApiEndpoint: props.disableExecuteApiEndpoint ?? false,
    });
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      NagSuppressions.addResourceSuppressions(cloudWatchRole, [{
        id: 'AwsSolutions-IAM4',
        reason: 'API Gateway\'s account-level logging role uses the AWS-maintained AmazonAPIGatewayPushToCloudWatchLogs '
          + 'policy, the documented way to let API Gateway write access logs.',
        appliesTo: [PUSH_TO_CLOUDWATCH_POLICY],
      }]);
    }
    NagSuppressions.addResourceSuppressions(this.api.deploymentStage, [
      {
        id: 'HIPAA.Security-APIGWCacheEnabledAndEncrypted',
        reason: 'No stage cache on purpose: answers are per user and per tenant and contain PHI; a cache could serve '
          + 'one caller\'s data to another and would be one more store to protect.',
      },
      {
        id: 'HIPAA.Security-APIGWSSLEnabled',
        reason: 'Client certificates let HTTP back ends authenticate API Gateway; the only back ends here are Lambda '
          + 'functions invoked through their resource policies, which already names this API and method.',
      },
    ]);
    this.authorizer = new apigw.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
      cognitoUserPools: [props.userPool],
      // Every request is checked against the pool; no cached decision outlives a token.
      resultsCacheTtl: Duration.seconds(0),
    });
    const validator = this.api.addRequestValidator('RequestValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const integrations = new Map<RouteFunction, apigw.LambdaIntegration>();
    const integrationFor = (name: RouteFunction) => {
      let integration = integrations.get(name);
      if (!integration) {
        integration = new apigw.LambdaIntegration(props.functions[name], { proxy: true, allowTestInvoke: false });
        integrations.set(name, integration);
      }
      return integration;
    };

    const methods = new Map<string, apigw.Method>();
    for (const route of props.routes) {
      const resource = this.api.root.resourceForPath(route.path);
      const requestParameters = Object.fromEntries(
        pathParameters(route.path).map((name) => [`method.request.path.${name}`, true]));
      const common: apigw.MethodOptions = { operationName: route.id, requestValidator: validator, requestParameters };
      const options: apigw.MethodOptions = route.access === 'public'
        ? { ...common, authorizationType: apigw.AuthorizationType.NONE }
        : {
          ...common,
          authorizationType: apigw.AuthorizationType.COGNITO,
          authorizer: this.authorizer,
          authorizationScopes: [props.scope],
        };
      const method = resource.addMethod(route.method, integrationFor(route.function), options);
      methods.set(route.id, method);
      if (route.access === 'public') {
        NagSuppressions.addResourceSuppressions(method, [
          {
            id: 'AwsSolutions-APIG4',
            reason: `${route.id} belongs to the public, write-only intake (PRODUCT §7): it hands out a proof-of-work `
              + 'challenge or accepts a request for a receipt code, reads nothing back, and is guarded by the WAF rate rule, '
              + 'method throttling, the challenge and strict validation instead of a token.',
          },
          {
            id: 'AwsSolutions-COG4',
            reason: `${route.id} is public by design (PRODUCT §7); every other method uses the Cognito authorizer.`,
          },
        ]);
      }
    }
    this.methods = methods;

    const securityHeaders = {
      'Strict-Transport-Security': "'max-age=63072000; includeSubDomains'",
      'X-Content-Type-Options': "'nosniff'",
      'Cache-Control': "'no-store'",
      'Content-Type': "'application/problem+json'",
    };
    // The errors API Gateway answers itself (before any function runs) speak the same RFC 9457
    // dialect as the functions: the same problem types, titles, details and headers.
    for (const [id, type, problem] of GATEWAY_PROBLEMS) {
      const headers = Object.fromEntries(Object.entries(problem.headers ?? {}).map(([name, value]) => [name, `'${value}'`]));
      this.api.addGatewayResponse(id, {
        type,
        statusCode: String(problem.status),
        responseHeaders: { ...securityHeaders, ...headers },
        templates: { 'application/json': JSON.stringify(problem.toBody('$context.requestId')) },
      });
    }
    // Anything else keeps API Gateway's own status; its message is the title.
    const fallback = { 'application/json': '{"type":"urn:nemt:problem:gateway","title":$context.error.messageString,"requestId":"$context.requestId"}' };
    this.api.addGatewayResponse('Default4xx', {
      type: apigw.ResponseType.DEFAULT_4XX, responseHeaders: securityHeaders, templates: fallback,
    });
    this.api.addGatewayResponse('Default5xx', {
      type: apigw.ResponseType.DEFAULT_5XX, responseHeaders: securityHeaders, templates: fallback,
    });
  }
}
