import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { routes } from '../../lambdas/api/routes';
import { createApp } from '../../lib/app';
import { loadConfig } from '../../lib/config';
import {
  API_PATH_PATTERN, ConsoleEdge, EDGE_TLS_POLICY, INVALIDATED_PATHS, SPA_REWRITE_CODE, signInOrigins,
} from '../../lib/constructs/console-edge';
import { API_SCOPE } from '../../lib/stacks/auth-stack';
import { EDGE_REGION } from '../../lib/stacks/edge-firewall-stack';
import { consoleSecurityHeaders, HSTS, REFERRER_POLICY } from '../../web/security-headers';
import { allResources, CONSOLE_FIXTURE, logicalIdOf, resourcesOf, type SynthesisedApp, synthesise } from './synth';

/**
 * SECURITY S26 (the public edge), S27 (the console's app client) and S28's infrastructure part
 * (SMS spend limit and alarm, the intake's destination rules), read from the synthesised prod
 * templates.
 */
let synthesised: SynthesisedApp;
const config = loadConfig('prod');

beforeAll(() => {
  synthesised = synthesise({ env: 'prod', routes });
}, 300_000);

afterAll(() => synthesised?.cleanup());

type Props = Record<string, unknown>;
const props = (resource: { Properties?: Props }): Props => resource.Properties ?? {};
const api = () => synthesised.templates.api;
const edge = () => synthesised.stacks.api.consoleEdge;
const apiStack = () => synthesised.stacks.api;
const resolve = (value: unknown) => apiStack().resolve(value);

function only(template: Template, type: string): [string, { Properties?: Props }] {
  const found = Object.entries(resourcesOf(template, type));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0] as [string, { Properties?: Props }];
}

function distributionConfig(): Props {
  return props(only(api(), 'AWS::CloudFront::Distribution')[1]).DistributionConfig as Props;
}

function apiBehaviour(): Props {
  const behaviours = distributionConfig().CacheBehaviors as Props[];
  const found = behaviours.filter((behaviour) => behaviour.PathPattern === API_PATH_PATTERN);
  expect(found).toHaveLength(1);
  return found[0] as Props;
}

function originOf(behaviour: Props): Props {
  const origins = distributionConfig().Origins as Props[];
  const origin = origins.find((candidate) => candidate.Id === behaviour.TargetOriginId);
  if (!origin) throw new Error(`no origin ${String(behaviour.TargetOriginId)}`);
  return origin;
}

/** The environment variables of the app function whose POWERTOOLS_SERVICE_NAME is `service`. */
function environmentOf(service: string): Props {
  const variables = allResources(synthesised, 'AWS::Lambda::Function')
    .map(([, resource]) => ((props(resource).Environment as Props | undefined)?.Variables ?? {}) as Props)
    .filter((vars) => vars.POWERTOOLS_SERVICE_NAME === service);
  if (variables.length !== 1) throw new Error(`expected one ${service} function, found ${variables.length}`);
  return variables[0] as Props;
}

const bucketId = () => logicalIdOf(apiStack(), edge().bucket);
const distributionId = () => logicalIdOf(apiStack(), edge().distribution);

describe('S26: the console bucket', () => {
  test('private: every public access block on, object ownership enforced (no ACLs)', () => {
    const bucket = props(resourcesOf(api(), 'AWS::S3::Bucket')[bucketId()] as { Properties?: Props });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
    });
    expect(bucket.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(bucket.WebsiteConfiguration).toBeUndefined();
  });

  test('encrypted, versioned, and access-logged to the edge logs bucket', () => {
    const bucket = props(resourcesOf(api(), 'AWS::S3::Bucket')[bucketId()] as { Properties?: Props });
    expect(bucket.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logicalIdOf(apiStack(), edge().logsBucket) }, LogFilePrefix: 'console-bucket/',
    });
  });

  test('read only by this distribution through origin access control (SigV4), never an OAI; TLS only', () => {
    const [oacId, oac] = only(api(), 'AWS::CloudFront::OriginAccessControl');
    expect(props(oac).OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4',
    });
    expect(resourcesOf(api(), 'AWS::CloudFront::CloudFrontOriginAccessIdentity')).toEqual({});
    const s3Origin = (distributionConfig().Origins as Props[]).find((origin) => origin.S3OriginConfig !== undefined) as Props;
    expect(s3Origin.OriginAccessControlId).toEqual({ 'Fn::GetAtt': [oacId, 'Id'] });
    expect(s3Origin.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });

    const policies = Object.values(resourcesOf(api(), 'AWS::S3::BucketPolicy'))
      .filter((policy) => JSON.stringify(props(policy).Bucket) === JSON.stringify({ Ref: bucketId() }));
    expect(policies).toHaveLength(1);
    const statements = ((props(policies[0] as { Properties?: Props }).PolicyDocument as Props).Statement as Props[]);
    const read = statements.filter((statement) => statement.Effect === 'Allow');
    expect(read).toEqual([expect.objectContaining({
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Condition: { StringEquals: { 'AWS:SourceArn': expect.objectContaining({ 'Fn::Join': expect.anything() }) } },
    })]);
    expect(JSON.stringify(read[0])).toContain(distributionId());
    expect(statements).toContainEqual(expect.objectContaining({
      Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    }));
  });
});

describe('S26: the distribution', () => {
  test('HTTPS only: the console redirects to https, the API refuses plain http', () => {
    expect((distributionConfig().DefaultCacheBehavior as Props).ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(apiBehaviour().ViewerProtocolPolicy).toBe('https-only');
  });

  test('HTTP/2 and HTTP/3, IPv6, the configured price class, standard logs to the edge logs bucket', () => {
    expect(distributionConfig()).toMatchObject({
      HttpVersion: 'http2and3',
      IPV6Enabled: true,
      PriceClass: config.edge.priceClass,
      Logging: {
        Bucket: { 'Fn::GetAtt': [logicalIdOf(apiStack(), edge().logsBucket), 'RegionalDomainName'] },
        IncludeCookies: false,
        Prefix: 'cloudfront/',
      },
    });
  });

  test('/v1/* is never cached and reaches the API stage with every viewer header but Host (Authorization included)', () => {
    const behaviour = apiBehaviour();
    expect(behaviour.CachePolicyId).toBe(cloudfront.CachePolicy.CACHING_DISABLED.cachePolicyId);
    expect(behaviour.OriginRequestPolicyId).toBe(cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.originRequestPolicyId);
    expect(behaviour.AllowedMethods).toEqual(expect.arrayContaining(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']));
    expect(behaviour.ResponseHeadersPolicyId).toBeUndefined();
    expect(behaviour.FunctionAssociations).toBeUndefined();
    const origin = originOf(behaviour);
    expect(origin.OriginPath).toBe(`/${config.api.stageName}`);
    expect(JSON.stringify(origin.DomainName)).toContain(logicalIdOf(apiStack(), apiStack().api));
    expect(JSON.stringify(origin.DomainName)).toContain('.execute-api.');
    expect(origin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
  });

  test('the console is compressed and cached, index.html is the root, and SPA routes are rewritten on viewer request', () => {
    const behaviour = distributionConfig().DefaultCacheBehavior as Props;
    expect(behaviour).toMatchObject({
      Compress: true,
      CachePolicyId: cloudfront.CachePolicy.CACHING_OPTIMIZED.cachePolicyId,
      AllowedMethods: ['GET', 'HEAD'],
      FunctionAssociations: [{ EventType: 'viewer-request', FunctionARN: expect.anything() }],
    });
    expect(distributionConfig().DefaultRootObject).toBe('index.html');
    // Error responses would apply to /v1/* too and hide the API's 403/404 behind index.html.
    expect(distributionConfig().CustomErrorResponses).toBeUndefined();
    const [, fn] = only(api(), 'AWS::CloudFront::Function');
    expect(props(fn).FunctionCode).toBe(SPA_REWRITE_CODE);
  });

  test.each([
    ['/', '/index.html'],
    ['/board', '/index.html'],
    ['/trips/0b0c8a0e-2f43-4b39-9f5c-1f2b0d1e9a77', '/index.html'],
    ['/callback', '/index.html'],
    ['/request', '/request/index.html'],
    ['/request/', '/request/index.html'],
    ['/request/index.html', '/request/index.html'],
    ['/assets/index-3f2a1b.js', '/assets/index-3f2a1b.js'],
    ['/config.json', '/config.json'],
  ])('the rewrite sends %s to %s', (uri, expected) => {
    const handler = new Function(`${SPA_REWRITE_CODE}; return handler;`)() as (event: unknown) => { uri: string };
    expect(handler({ request: { uri } }).uri).toBe(expected);
  });

  test('the default certificate is acknowledged (TLSv1 is fixed for *.cloudfront.net), not silently configured', () => {
    expect(config.edge.customDomain).toBeUndefined();
    expect(distributionConfig().ViewerCertificate).toBeUndefined();
  });

  test('with a custom domain: its us-east-1 certificate, SNI, and TLSv1.2_2021 at the edge', () => {
    const template = standaloneEdge({
      domainName: 'console.example.org',
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
    });
    const distribution = props(only(template, 'AWS::CloudFront::Distribution')[1]).DistributionConfig as Props;
    expect(EDGE_TLS_POLICY).toBe(cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021);
    expect(distribution.Aliases).toEqual(['console.example.org']);
    expect(distribution.ViewerCertificate).toEqual({
      AcmCertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
      MinimumProtocolVersion: 'TLSv1.2_2021',
      SslSupportMethod: 'sni-only',
    });
    const [, client] = only(template, 'AWS::Cognito::UserPoolClient');
    expect(props(client).CallbackURLs).toEqual(['https://console.example.org/callback']);
  });
});

describe('S26: response headers of the console', () => {
  const policy = () => (props(only(api(), 'AWS::CloudFront::ResponseHeadersPolicy')[1]).ResponseHeadersPolicyConfig as Props)
    .SecurityHeadersConfig as Props;

  test('the default behaviour carries the security-headers policy', () => {
    expect((distributionConfig().DefaultCacheBehavior as Props).ResponseHeadersPolicyId)
      .toEqual({ Ref: only(api(), 'AWS::CloudFront::ResponseHeadersPolicy')[0] });
  });

  test('every value equals web/security-headers.ts (the local static server sends the same)', () => {
    const expected = consoleSecurityHeaders({ signInOrigins: signInOrigins(config) }, { https: true });
    const headers = policy();
    expect(headers.ContentSecurityPolicy).toEqual({ ContentSecurityPolicy: expected['Content-Security-Policy'], Override: true });
    expect(headers.StrictTransportSecurity).toEqual({
      AccessControlMaxAgeSec: HSTS.maxAgeSeconds, IncludeSubdomains: true, Preload: true, Override: true,
    });
    expect(expected['Strict-Transport-Security']).toBe(`max-age=${HSTS.maxAgeSeconds}; includeSubDomains; preload`);
    expect(headers.ContentTypeOptions).toEqual({ Override: true });
    expect(expected['X-Content-Type-Options']).toBe('nosniff');
    expect(headers.FrameOptions).toEqual({ FrameOption: expected['X-Frame-Options'], Override: true });
    expect(headers.ReferrerPolicy).toEqual({ ReferrerPolicy: REFERRER_POLICY, Override: true });
  });

  test('the CSP: no inline script, no eval, nothing framed, connect-src self plus the Cognito domain and cognito-idp', () => {
    const csp = String((policy().ContentSecurityPolicy as Props).ContentSecurityPolicy);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain(`connect-src 'self' https://${config.auth.domainPrefix}.auth.${config.region}.amazoncognito.com `
      + `https://cognito-idp.${config.region}.amazonaws.com;`);
  });
});

describe('S26: the edge web ACL', () => {
  test('a CLOUDFRONT-scope ACL in a stack pinned to us-east-1, with managed rules and a per-viewer intake rate rule', () => {
    const firewall = synthesised.stacks.edgeFirewall;
    if (!firewall) throw new Error('no edge firewall stack');
    expect(firewall.region).toBe(EDGE_REGION);
    const template = Template.fromStack(firewall);
    const [, acl] = only(template, 'AWS::WAFv2::WebACL');
    expect(props(acl).Scope).toBe('CLOUDFRONT');
    const rules = props(acl).Rules as Props[];
    const names = rules.map((rule) => rule.Name);
    expect(names).toEqual(expect.arrayContaining(['IntakeRatePerIp', 'RatePerIp', 'AWSManagedRulesCommonRuleSet',
      'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesSQLiRuleSet']));
    const intake = rules.find((rule) => rule.Name === 'IntakeRatePerIp') as Props;
    expect(JSON.stringify(intake)).toContain('/v1/intake/trip-requests');
    expect(JSON.stringify(intake)).toContain(`"Limit":${config.edge.wafIntakeLimitPer5Min}`);
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: Match.arrayWith([{ SingleHeader: { Name: 'authorization' } }]),
    });
  });

  test('an existing ACL from configuration (-c edgeWebAclArn=…) replaces the stack', () => {
    const arn = 'arn:aws:wafv2:us-east-1:333333333333:global/webacl/central/11111111-2222-3333-4444-555555555555';
    const other = synthesise({ env: 'prod', routes, context: { edgeWebAclArn: arn } });
    try {
      expect(other.stacks.edgeFirewall).toBeUndefined();
      expect(Object.keys(other.templates)).not.toContain('edgeFirewall');
      other.templates.api.hasResourceProperties('AWS::CloudFront::Distribution', { DistributionConfig: Match.objectLike({ WebACLId: arn }) });
    } finally {
      other.cleanup();
    }
  }, 300_000);

  test('the distribution is associated with that ACL', () => {
    const reference = JSON.stringify(distributionConfig().WebACLId);
    expect(reference).toContain('Nemt-prod-EdgeFirewall');
    expect(reference).toContain('WebAcl');
    expect(reference).toContain(EDGE_REGION);
  });
});

describe('S27: the console app client', () => {
  const client = () => props(resourcesOf(api(), 'AWS::Cognito::UserPoolClient')[logicalIdOf(apiStack(), edge().client)] as
    { Properties?: Props });
  const distributionDomain = () => ({ 'Fn::GetAtt': [distributionId(), 'DomainName'] });

  test('public (no secret), authorization code grant only, openid + email + the API scope', () => {
    expect(client()).toMatchObject({
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      SupportedIdentityProviders: ['COGNITO'],
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
      AccessTokenValidity: config.auth.accessTokenMinutes,
      RefreshTokenValidity: config.auth.refreshTokenHours * 60,
    });
    const scopes = client().AllowedOAuthScopes as unknown[];
    expect(scopes.slice(0, 2)).toEqual(['openid', 'email']);
    expect(JSON.stringify(scopes[2])).toContain(`/${API_SCOPE.split('/')[1]}`);
    expect(scopes).toHaveLength(3);
  });

  test('exactly the distribution\'s /callback and / (plus configured extras: none in prod)', () => {
    expect(config.edge.extraCallbackUrls).toEqual([]);
    expect(client().CallbackURLs).toEqual([{ 'Fn::Join': ['', ['https://', distributionDomain(), '/callback']] }]);
    expect(client().LogoutURLs).toEqual([{ 'Fn::Join': ['', ['https://', distributionDomain(), '/']] }]);
  });

  test('the API and user-management functions accept its tokens beside the existing client\'s', () => {
    const consoleClient = logicalIdOf(apiStack(), edge().client);
    for (const service of ['nemt-api', 'nemt-users']) {
      const ids = JSON.stringify(environmentOf(service).APP_CLIENT_IDS);
      expect([service, ids.includes(`"Ref":"${consoleClient}"`), ids.includes('Auth')]).toEqual([service, true, true]);
    }
  });
});

describe('the console deployment', () => {
  test('/config.json has the contract\'s shape, from the pool, the client and the configuration', () => {
    const runtime = resolve(edge().runtimeConfig) as Props;
    expect(Object.keys(runtime).sort()).toEqual(
      ['authority', 'clientId', 'providerName', 'revocationEndpoint', 'scope', 'signOutEndpoint', 'timeZone']);
    const cognitoDomain = `https://${config.auth.domainPrefix}.auth.${config.region}.amazoncognito.com`;
    expect(runtime).toMatchObject({
      clientId: { Ref: logicalIdOf(apiStack(), edge().client) },
      scope: `openid email ${API_SCOPE}`,
      signOutEndpoint: `${cognitoDomain}/logout`,
      revocationEndpoint: `${cognitoDomain}/oauth2/revoke`,
      providerName: config.provider.name,
      timeZone: config.provider.timeZone,
    });
    expect(JSON.stringify(runtime.authority)).toMatch(/^\{"Fn::Join":\["",\["https:\/\/cognito-idp\.us-east-1\.amazonaws\.com\/",/);
  });

  test('hashed assets cached for a year; documents and config.json revalidated and invalidated at the edge', () => {
    const deployments = Object.values(resourcesOf(api(), 'Custom::CDKBucketDeployment')).map(props);
    expect(deployments).toHaveLength(2);
    const documents = deployments.find((deployment) => deployment.DistributionPaths !== undefined) as Props;
    const assets = deployments.find((deployment) => deployment.DistributionPaths === undefined) as Props;
    expect(documents).toMatchObject({
      DistributionPaths: [...INVALIDATED_PATHS],
      DistributionId: { Ref: distributionId() },
      SystemMetadata: { 'cache-control': 'no-cache' },
      Include: ['*.html', 'config.json'],
    });
    expect(assets).toMatchObject({
      SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' },
      Exclude: ['*.html', 'config.json'],
    });
    for (const deployment of deployments) expect(deployment.DestinationBucketName).toEqual({ Ref: bucketId() });
  });

  test('a missing console build stops the synth and says how to build it', () => {
    expect(() => createApp({
      routes, nag: false, consoleAssetsDir: join(CONSOLE_FIXTURE, 'does-not-exist'), context: { 'aws:cdk:bundling-stacks': [] },
    })).toThrow(/npm run build:web/);
  });
});

describe('S28: SMS abuse controls', () => {
  test('the account\'s SNS monthly SMS spend limit is set from configuration, with only sns:SetSMSAttributes', () => {
    const messaging = synthesised.templates.messaging;
    const [, limit] = only(messaging, 'Custom::SnsSmsSpendLimit');
    const create = JSON.parse(JSON.stringify(props(limit).Create).replace(/^"|"$/g, '').replace(/\\"/g, '"')) as Props;
    expect(create).toMatchObject({
      service: 'SNS',
      action: 'setSMSAttributes',
      parameters: { attributes: { MonthlySpendLimit: String(config.notifications.smsMonthlySpendLimitUsd) } },
    });
    expect(props(limit).Update).toEqual(props(limit).Create);
    const policies = Object.values(resourcesOf(messaging, 'AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(props(policy)).includes('sns:SetSMSAttributes'));
    expect(policies).toHaveLength(1);
    expect((props(policies[0] as { Properties?: Props }).PolicyDocument as Props).Statement)
      .toEqual([{ Action: 'sns:SetSMSAttributes', Effect: 'Allow', Resource: '*' }]);
  });

  test('an alarm on SNS month-to-date SMS spend, below the limit, notifies the operations topic', () => {
    const observability = synthesised.templates.observability;
    expect(config.alarms.smsSpendUsd).toBeLessThan(config.notifications.smsMonthlySpendLimitUsd);
    observability.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SNS',
      MetricName: 'SMSMonthToDateSpentUSD',
      Threshold: config.alarms.smsSpendUsd,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^OperationsTopic') }],
    });
  });

  test('intake and notifier know the allowed calling codes; the intake its per-destination limit; the API the time zone', () => {
    expect(environmentOf('nemt-intake')).toMatchObject({
      SMS_ALLOWED_CALLING_CODES: config.intake.smsAllowedCallingCodes.join(','),
      INTAKE_RECEIPTS_PER_DESTINATION_PER_DAY: String(config.intake.receiptsPerDestinationPerDay),
    });
    expect(environmentOf('nemt-notify')).toMatchObject({ SMS_ALLOWED_CALLING_CODES: '+1' });
    expect(environmentOf('nemt-api')).toMatchObject({ PROVIDER_TIME_ZONE: config.provider.timeZone });
  });
});

/** The edge alone in a small stack, to check what a configuration the shipped ones lack would do. */
function standaloneEdge(customDomain: { domainName: string; certificateArn: string }): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'EdgeAlone', { env: { account: '123456789012', region: 'us-east-1' } });
  const userPool = new cognito.UserPool(stack, 'Pool');
  const apiScope = new cognito.ResourceServerScope({ scopeName: 'api', scopeDescription: 'API' });
  const resourceServer = userPool.addResourceServer('Server', { identifier: 'nemt-api', scopes: [apiScope] });
  const restApi = new apigw.RestApi(stack, 'Api', { deployOptions: { stageName: 'prod' } });
  restApi.root.addResource('v1').addMethod('GET', new apigw.MockIntegration());
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  new ConsoleEdge(stack, 'Edge', {
    config: { ...config, edge: { ...config.edge, customDomain } },
    api: restApi,
    userPool,
    resourceServer,
    apiScope,
    webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge/11111111-2222-3333-4444-555555555555',
    assetsDir: CONSOLE_FIXTURE,
    removalPolicy: apiStack().statefulRemovalPolicy,
    vpc,
    lambdaSecurityGroup: new ec2.SecurityGroup(stack, 'Sg', { vpc }),
    logsKey: new kms.Key(stack, 'Key'),
  });
  return Template.fromStack(stack);
}
