import { Match } from 'aws-cdk-lib/assertions';
import { routes } from '../../lambdas/api/routes';
import { pathParameters } from '../../lib/constructs/api-from-routes';
import { API_SCOPE } from '../../lib/stacks/auth-stack';
import { wiredMethods, type WiredMethod } from './route-wiring';
import { logicalIdOf, type SynthesisedApp, synthesise } from './synth';

/**
 * The deployed API is exactly the route table (lambdas/api/routes.ts): every route exists with
 * the right function and authorizer, and API Gateway has nothing the table does not declare.
 */
let synthesised: SynthesisedApp;
let wired: WiredMethod[];
let functionIds: { api: string; users: string; intake: string };
let authorizerId: string;

beforeAll(() => {
  synthesised = synthesise({ env: 'dev', routes });
  wired = wiredMethods(synthesised.templates.api);
  const apiStack = synthesised.stacks.api;
  functionIds = {
    api: logicalIdOf(apiStack, apiStack.apiFunction),
    users: logicalIdOf(apiStack, apiStack.usersFunction),
    intake: logicalIdOf(apiStack, apiStack.intakeFunction),
  };
  authorizerId = logicalIdOf(apiStack, apiStack.routes.authorizer);
}, 300_000);

afterAll(() => synthesised?.cleanup());

const key = (entry: { method: string; path: string }) => `${entry.method} ${entry.path}`;

test('API Gateway serves exactly the methods of the route table', () => {
  expect(routes.length).toBeGreaterThan(1);
  expect(wired.map(key).sort()).toEqual(routes.map(key).sort());
});

describe.each(routes.map((route) => [route.id, route] as const))('%s', (_id, route) => {
  const method = () => {
    const found = wired.find((candidate) => key(candidate) === key(route));
    if (!found) throw new Error(`${key(route)} is not in API Gateway`);
    return found;
  };

  test(`invokes the ${route.function} function`, () => {
    expect(method().functionId).toBe(functionIds[route.function]);
    expect(method().operationName).toBe(route.id);
  });

  if (route.access === 'authenticated') {
    test('requires a Cognito access token carrying the API scope', () => {
      expect(method()).toMatchObject({ authorizationType: 'COGNITO_USER_POOLS', authorizer: authorizerId, scopes: [API_SCOPE] });
    });
  } else {
    test('is public: no authorizer', () => {
      expect(method()).toMatchObject({ authorizationType: 'NONE', authorizer: undefined, scopes: [] });
    });
  }

  test('requires its path parameters', () => {
    expect(method().requiredPathParameters).toEqual(pathParameters(route.path).sort());
  });
});

test('the authorizer is the user pool of the auth stack, reading the Authorization header', () => {
  synthesised.templates.api.hasResourceProperties('AWS::ApiGateway::Authorizer', {
    Type: 'COGNITO_USER_POOLS',
    IdentitySource: 'method.request.header.Authorization',
    ProviderARNs: [{ 'Fn::GetStackOutput': Match.objectLike({ StackName: synthesised.stacks.auth.stackName }) }],
  });
});

test('each function may be invoked only through the methods that route to it', () => {
  const permissions = synthesised.templates.api.findResources('AWS::Lambda::Permission') as Record<string,
    { Properties: { FunctionName: unknown; SourceArn: unknown; Principal: string } }>;
  const byFunction = (id: string) => Object.values(permissions)
    .filter((permission) => JSON.stringify(permission.Properties.FunctionName).includes(id));
  for (const name of ['api', 'intake'] as const) {
    const declared = routes.filter((route) => route.function === name);
    const granted = byFunction(functionIds[name]);
    expect(granted).toHaveLength(declared.length);
    for (const permission of granted) {
      expect(permission.Properties.Principal).toBe('apigateway.amazonaws.com');
      // Scoped to one stage-agnostic method ARN, never the whole API.
      expect(JSON.stringify(permission.Properties.SourceArn)).not.toMatch(/\/\*\/\*\/\*"/);
    }
  }
});
