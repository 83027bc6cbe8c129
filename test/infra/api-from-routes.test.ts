import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { RouteDeclaration } from '../../lambdas/api/route-types';
import { ApiFromRoutes, checkRoutes, GATEWAY_PROBLEMS, methodSettingsKey, pathParameters } from '../../lib/constructs/api-from-routes';
import { wiredMethods } from './route-wiring';

/** The construct on a small route table of its own, independent of the app's real routes. */
const SCOPE = 'test-api/api';
const TABLE: readonly RouteDeclaration[] = [
  { id: 'things.list', method: 'GET', path: '/v1/things', summary: 'list', function: 'api', access: 'authenticated', roles: ['Dispatcher'], successStatus: 200 },
  { id: 'things.create', method: 'POST', path: '/v1/things', summary: 'create', function: 'api', access: 'authenticated', roles: ['Dispatcher', 'FacilityUser'], successStatus: 201 },
  { id: 'things.get', method: 'GET', path: '/v1/things/{thingId}', summary: 'get', function: 'api', access: 'authenticated', roles: ['Billing'], successStatus: 200 },
  { id: 'parts.delete', method: 'DELETE', path: '/v1/things/{thingId}/parts/{partId}', summary: 'delete', function: 'api', access: 'authenticated', roles: ['Dispatcher'], successStatus: 204 },
  { id: 'forms.submit', method: 'POST', path: '/v1/forms/submissions', summary: 'public', function: 'intake', access: 'public', roles: [], successStatus: 202 },
];

function build(routes: readonly RouteDeclaration[]) {
  const app = new App();
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'us-east-1' } });
  const userPool = new cognito.UserPool(stack, 'Pool');
  const fn = (id: string) => new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 })'),
  });
  const functions = { api: fn('ApiFn'), users: fn('UsersFn'), intake: fn('IntakeFn') };
  const api = new ApiFromRoutes(stack, 'Routes', {
    routes,
    functions,
    userPool,
    scope: SCOPE,
    restApiName: 'test',
    deployOptions: { stageName: 'test', throttlingRateLimit: 50, throttlingBurstLimit: 100 },
    publicThrottle: { rateLimit: 1, burstLimit: 2 },
  });
  return { app, stack, api, functions, template: Template.fromStack(stack) };
}

const built = build(TABLE);
const wired = wiredMethods(built.template);
const idOf = (construct: { node: { defaultChild?: unknown } }) =>
  built.stack.getLogicalId(construct.node.defaultChild as Parameters<Stack['getLogicalId']>[0]);

test('one method per route, and no other method or resource', () => {
  expect(wired.map((m) => `${m.method} ${m.path}`).sort()).toEqual(TABLE.map((r) => `${r.method} ${r.path}`).sort());
  const paths = new Set(Object.values(built.template.findResources('AWS::ApiGateway::Resource'))
    .map((resource) => (resource as { Properties: { PathPart: string } }).Properties.PathPart));
  expect([...paths].sort()).toEqual(['forms', 'parts', 'submissions', 'things', 'v1', '{partId}', '{thingId}'].sort());
});

test('authenticated routes: Cognito authorizer with the scope, on the api function', () => {
  const authorizer = idOf(built.api.authorizer);
  for (const route of TABLE.filter((r) => r.access === 'authenticated')) {
    const method = wired.find((m) => m.method === route.method && m.path === route.path);
    expect(method).toMatchObject({
      authorizationType: 'COGNITO_USER_POOLS', authorizer, scopes: [SCOPE], functionId: idOf(built.functions.api), operationName: route.id,
    });
  }
});

test('public routes: no authorizer, the intake function, tighter method throttling', () => {
  const method = wired.find((m) => m.path === '/v1/forms/submissions');
  expect(method).toMatchObject({ authorizationType: 'NONE', authorizer: undefined, scopes: [], functionId: idOf(built.functions.intake) });
  built.template.hasResourceProperties('AWS::ApiGateway::Stage', {
    MethodSettings: Match.arrayWith([
      Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 }),
      Match.objectLike({ HttpMethod: 'POST', ResourcePath: '/~1v1~1forms~1submissions', ThrottlingRateLimit: 1, ThrottlingBurstLimit: 2 }),
    ]),
  });
  expect(methodSettingsKey(TABLE[4] as RouteDeclaration)).toBe('/v1/forms/submissions/POST');
});

test('every path parameter is required and every method uses the request validator', () => {
  const nested = wired.find((m) => m.method === 'DELETE');
  expect(nested?.requiredPathParameters).toEqual(['partId', 'thingId']);
  expect(pathParameters('/v1/things/{thingId}/parts/{partId}')).toEqual(['thingId', 'partId']);
  for (const method of Object.values(built.template.findResources('AWS::ApiGateway::Method'))) {
    expect((method as { Properties: { RequestValidatorId: unknown } }).Properties.RequestValidatorId).toBeDefined();
  }
});

test('gateway-made errors are problem+json as the functions write them, with the status, headers and request id', () => {
  const responses = Object.values(built.template.findResources('AWS::ApiGateway::GatewayResponse')) as {
    Properties: { ResponseType: string; StatusCode?: string; ResponseParameters: Record<string, string>; ResponseTemplates: Record<string, string> };
  }[];
  for (const [, type, problem] of GATEWAY_PROBLEMS) {
    const response = responses.find((candidate) => candidate.Properties.ResponseType === type.responseType);
    if (!response) throw new Error(`no gateway response for ${type.responseType}`);
    expect(response.Properties.StatusCode).toBe(String(problem.status));
    const body = JSON.parse((response.Properties.ResponseTemplates['application/json'] as string).replace('$context.requestId', 'req-1'));
    expect(body).toEqual(problem.toBody('req-1'));
    expect(body).toMatchObject({ type: expect.stringMatching(/^urn:nemt:problem:/), title: expect.any(String), status: problem.status });
    expect(response.Properties.ResponseParameters['gatewayresponse.header.Content-Type']).toBe("'application/problem+json'");
  }
  const unauthorized = responses.find((candidate) => candidate.Properties.ResponseType === 'UNAUTHORIZED');
  expect(unauthorized?.Properties.ResponseParameters['gatewayresponse.header.WWW-Authenticate']).toBe("'Bearer'");
  // A path the API does not have answers 404 like the function's router, not API Gateway's 403.
  expect(responses.find((candidate) => candidate.Properties.ResponseType === 'MISSING_AUTHENTICATION_TOKEN')?.Properties.StatusCode).toBe('404');
});

test('gateway-made errors carry the security headers', () => {
  for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX', ...GATEWAY_PROBLEMS.map(([, responseType]) => responseType.responseType)]) {
    built.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: type,
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.Strict-Transport-Security': "'max-age=63072000; includeSubDomains'",
        'gatewayresponse.header.X-Content-Type-Options': "'nosniff'",
        'gatewayresponse.header.Cache-Control': "'no-store'",
      }),
    });
  }
});

test('cdk-nag: only the public method is acknowledged for having no authorizer', () => {
  const app = new App();
  const stack = new Stack(app, 'Nag', { env: { account: '123456789012', region: 'us-east-1' } });
  const userPool = new cognito.UserPool(stack, 'Pool');
  const code = lambda.Code.fromInline('exports.handler = async () => ({})');
  const fn = (id: string) => new lambda.Function(stack, id, { runtime: lambda.Runtime.NODEJS_24_X, handler: 'index.handler', code });
  new ApiFromRoutes(stack, 'Routes', {
    routes: TABLE, functions: { api: fn('A'), users: fn('U'), intake: fn('I') }, userPool, scope: SCOPE, restApiName: 'nag',
    deployOptions: { stageName: 'nag' }, publicThrottle: { rateLimit: 1, burstLimit: 1 },
  });
  Aspects.of(app).add(new AwsSolutionsChecks());
  app.synth();
  const authorizationFindings = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-(APIG4|COG4)'));
  expect(authorizationFindings).toEqual([]);
  const methods = Template.fromStack(stack).findResources('AWS::ApiGateway::Method');
  const acknowledged = Object.values(methods)
    .map((method) => (method as { Metadata?: { cdk_nag?: { rules_to_suppress: Array<{ id: string }> } } }).Metadata?.cdk_nag)
    .filter((nag) => nag !== undefined)
    .map((nag) => nag?.rules_to_suppress.map((rule) => rule.id).sort());
  expect(acknowledged).toEqual([['AwsSolutions-APIG4', 'AwsSolutions-COG4']]);
});

describe('a route table the API cannot express is refused', () => {
  const base = TABLE[0] as RouteDeclaration;
  test.each([
    ['the same method and path twice', [base, { ...base, id: 'other' }]],
    ['the same id twice', [base, { ...base, method: 'POST' as const }]],
    ['a public route with roles', [{ ...base, access: 'public' as const, function: 'intake' as const }]],
    ['an authenticated route without roles', [{ ...base, roles: [] }]],
    ['a path that is not an API Gateway path', [{ ...base, path: '/v1/things/:thingId' }]],
  ])('%s', (_name, routes) => {
    expect(() => checkRoutes(routes as RouteDeclaration[])).toThrow();
    expect(() => build(routes as RouteDeclaration[])).toThrow();
  });

  test('the real-looking table passes', () => {
    expect(() => checkRoutes(TABLE)).not.toThrow();
  });
});
