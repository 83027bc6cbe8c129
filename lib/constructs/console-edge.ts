import { existsSync, statSync } from 'node:fs';
import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { ConsoleConfig } from '../../web/console-config';
import { contentSecurityPolicy, HSTS, REFERRER_POLICY } from '../../web/security-headers';
import type { EnvironmentConfig } from '../config';
import { API_SCOPE, appClientProps } from '../stacks/auth-stack';
import { ManagedPolicyRole } from './managed-policy-role';

/** The shape of `/config.json`, which the console reads at start (contract of issue 12). */
/** The console's /config.json (web/console-config.ts: one shape for CDK, the local stack and the console). */
export type ConsoleRuntimeConfig = ConsoleConfig;

export interface ConsoleEdgeProps {
  readonly config: EnvironmentConfig;
  readonly api: apigw.RestApi;
  readonly userPool: cognito.IUserPool;
  readonly resourceServer: cognito.IUserPoolResourceServer;
  readonly apiScope: cognito.ResourceServerScope;
  /** The CLOUDFRONT-scope web ACL (us-east-1). */
  readonly webAclArn: string;
  /** The built console (`npm run build:web` writes web/dist). */
  readonly assetsDir: string;
  readonly removalPolicy: RemovalPolicy;
  /** The deployment function runs in the private subnets and logs with this key. */
  readonly vpc: ec2.IVpc;
  readonly lambdaSecurityGroup: ec2.ISecurityGroup;
  readonly logsKey: kms.IKey;
}

/** `/v1/*` reaches the API; everything else is the console's static files. */
export const API_PATH_PATTERN = '/v1/*';
/** Invalidated on every deploy: what names the hashed assets, and the runtime configuration. */
export const INVALIDATED_PATHS = ['/index.html', '/request/*', '/config.json'] as const;
export const CALLBACK_PATH = '/callback';
/** The newest CloudFront security policy this aws-cdk-lib names: TLS 1.2+ with modern ciphers only. */
export const EDGE_TLS_POLICY = cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021;

/**
 * The SPA's routes on CloudFront's default behaviour (viewer request), not custom error
 * responses: those apply to every behaviour, and would turn the API's own 403/404 answers into
 * the console's index page. `/request` is the public page's own document; any other path without
 * a file extension is a route of the signed-in console.
 */
export const SPA_REWRITE_CODE = `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === '/request' || uri === '/request/') {
    request.uri = '/request/index.html';
    return request;
  }
  var last = uri.substring(uri.lastIndexOf('/') + 1);
  if (last.indexOf('.') === -1) request.uri = '/index.html';
  return request;
}`;

/** Cognito's hosts the console talks to: the managed login domain, and the pool's discovery and keys. */
export function signInOrigins(config: EnvironmentConfig): string[] {
  return [
    `https://${config.auth.domainPrefix}.auth.${config.region}.amazoncognito.com`,
    `https://cognito-idp.${config.region}.amazonaws.com`,
  ];
}

export function assertConsoleBuilt(assetsDir: string): void {
  if (!existsSync(assetsDir) || !statSync(assetsDir).isDirectory() || !existsSync(`${assetsDir}/index.html`)) {
    throw new Error(`The console is not built: ${assetsDir}/index.html is missing. Run \`npm run build:web\` first `
      + '(cdk deploy serves the built console from S3).');
  }
}

/**
 * The public edge (SECURITY S26, S27): a private, versioned, access-logged S3 bucket holding the
 * built console, read by CloudFront through origin access control; one CloudFront distribution
 * whose default behaviour serves the console (compressed, cached, the security-headers policy of
 * web/security-headers.ts) and whose `/v1/*` behaviour goes uncached to the REST API with every
 * viewer header but Host (so Authorization, Idempotency-Key and If-Match arrive); HTTPS only,
 * HTTP/2 and HTTP/3, the edge web ACL; and the console's public Cognito app client, whose exact
 * callback is this distribution's own address. It lives in the API stack: the distribution needs
 * the API, the API function needs the client id, the client needs the distribution's domain.
 */
export class ConsoleEdge extends Construct {
  readonly bucket: s3.Bucket;
  readonly logsBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  readonly client: cognito.UserPoolClient;
  readonly responseHeadersPolicy: cloudfront.ResponseHeadersPolicy;
  /** `https://<distribution or custom domain>` */
  readonly origin: string;
  /** What the deployment writes to `/config.json`. */
  readonly runtimeConfig: ConsoleRuntimeConfig;

  constructor(scope: Construct, id: string, props: ConsoleEdgeProps) {
    super(scope, id);
    const { config } = props;
    assertConsoleBuilt(props.assetsDir);
    const stack = Stack.of(this);

    // Server access logs (S3) and standard logs (CloudFront). CloudFront's standard logging
    // writes with ACLs and S3 access logging only to SSE-S3 buckets, hence SSE-S3 and
    // BUCKET_OWNER_PREFERRED; it holds request metadata, never tenant data.
    this.logsBucket = new s3.Bucket(this, 'EdgeLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      versioned: true,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: false,
      lifecycleRules: [{
        id: 'expire-edge-logs',
        expiration: Duration.days(config.audit.expireAfterDays),
        noncurrentVersionExpiration: Duration.days(30),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      }],
    });

    this.bucket = new s3.Bucket(this, 'ConsoleBucket', {
      // The console's files are the same for everyone and public through CloudFront: no PHI.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.logsBucket,
      serverAccessLogsPrefix: 'console-bucket/',
      removalPolicy: props.removalPolicy,
      lifecycleRules: [{
        id: 'expire-replaced-console-files',
        noncurrentVersionExpiration: Duration.days(30),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      }],
    });

    const cognitoOrigins = signInOrigins(config);
    this.responseHeadersPolicy = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      responseHeadersPolicyName: `nemt-${config.name}-console-security-headers`,
      comment: 'NEMT console: web/security-headers.ts (SECURITY S26)',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: contentSecurityPolicy({ signInOrigins: cognitoOrigins }), override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.seconds(HSTS.maxAgeSeconds),
          includeSubdomains: HSTS.includeSubdomains,
          preload: HSTS.preload,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: REFERRER_POLICY as cloudfront.HeadersReferrerPolicy, override: true },
      },
    });

    const spaRewrite = new cloudfront.Function(this, 'SpaRewrite', {
      functionName: `nemt-${config.name}-console-routes`,
      comment: 'Console routes to /index.html, /request to the public page',
      code: cloudfront.FunctionCode.fromInline(SPA_REWRITE_CODE),
      runtime: cloudfront.FunctionRuntime.JS_2_0,
    });

    const customDomain = config.edge.customDomain;
    const apiDomain = config.api.customDomain;
    // With an API custom domain the execute-api endpoint is disabled: CloudFront then calls the
    // custom domain, whose base path mapping already names the stage.
    const apiOrigin = apiDomain
      ? new origins.HttpOrigin(apiDomain.domainName, {
        protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      })
      // The execute-api host and the stage name from configuration, not `api.url`: that names the
      // Stage resource, which depends on every method and so on the functions, whose APP_CLIENT_IDS
      // name the console client, whose callback names this distribution — a cycle.
      : new origins.HttpOrigin(`${props.api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}`, {
        originPath: `/${config.api.stageName}`,
        protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
        originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
      });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `NEMT Dispatch ${config.name}: console and /v1 API`,
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachedMethods: cloudfront.CachedMethods.CACHE_GET_HEAD,
        compress: true,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
        functionAssociations: [{ function: spaRewrite, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        [API_PATH_PATTERN]: {
          origin: apiOrigin,
          // A POST redirected to https would lose its body: plain http is refused instead.
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          compress: false,
          // No response-headers policy: the API sets its own (no-store, HSTS, nosniff, problem+json).
        },
      },
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableIpv6: true,
      priceClass: config.edge.priceClass as cloudfront.PriceClass,
      ...(customDomain
        ? {
          domainNames: [customDomain.domainName],
          certificate: acm.Certificate.fromCertificateArn(this, 'Certificate', customDomain.certificateArn),
          minimumProtocolVersion: EDGE_TLS_POLICY,
          sslSupportMethod: cloudfront.SSLMethod.SNI,
        }
        // CloudFront's default certificate always comes with the TLSv1 policy; see README (Deploy).
        : {}),
      webAclId: props.webAclArn,
      enableLogging: true,
      logBucket: this.logsBucket,
      logFilePrefix: 'cloudfront/',
      logIncludesCookies: false,
    });

    const host = customDomain?.domainName ?? this.distribution.distributionDomainName;
    this.origin = `https://${host}`;

    this.client = new cognito.UserPoolClient(this, 'ConsoleClient', appClientProps({
      userPool: props.userPool,
      name: `nemt-${config.name}-console`,
      resourceServer: props.resourceServer,
      apiScope: props.apiScope,
      auth: config.auth,
      callbackUrls: [`${this.origin}${CALLBACK_PATH}`, ...config.edge.extraCallbackUrls],
      logoutUrls: [`${this.origin}/`, ...config.edge.extraLogoutUrls],
      // As the existing client: the managed login's own flows; the console itself uses code + PKCE.
      authFlows: { userSrp: true },
    }));

    const cognitoDomain = cognitoOrigins[0] as string;
    this.runtimeConfig = {
      authority: `https://cognito-idp.${config.region}.amazonaws.com/${props.userPool.userPoolId}`,
      clientId: this.client.userPoolClientId,
      scope: `openid email ${API_SCOPE}`,
      signOutEndpoint: `${cognitoDomain}/logout`,
      revocationEndpoint: `${cognitoDomain}/oauth2/revoke`,
      providerName: config.provider.name,
      timeZone: config.provider.timeZone,
    };

    const deployRole = new ManagedPolicyRole(this, 'DeployRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Copies the built console into its bucket and invalidates CloudFront',
    });
    const deployLogs = new logs.LogGroup(this, 'DeployLogs', {
      encryptionKey: props.logsKey,
      retention: config.functions.logRetentionDays,
      removalPolicy: props.removalPolicy,
    });
    const common = {
      destinationBucket: this.bucket,
      role: deployRole,
      logGroup: deployLogs,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [props.lambdaSecurityGroup],
      memoryLimit: 512,
      prune: false,
    };
    // Content-hashed files first, cached for a year; then the documents and config.json, which
    // name them, revalidated on every load and invalidated at the edge.
    const source = s3deploy.Source.asset(props.assetsDir);
    const assets = new s3deploy.BucketDeployment(this, 'DeployAssets', {
      ...common,
      sources: [source],
      exclude: ['*.html', 'config.json'],
      cacheControl: [s3deploy.CacheControl.fromString('public, max-age=31536000, immutable')],
    });
    const documents = new s3deploy.BucketDeployment(this, 'DeployDocuments', {
      ...common,
      sources: [source, s3deploy.Source.jsonData('config.json', this.runtimeConfig)],
      exclude: ['*'],
      include: ['*.html', 'config.json'],
      cacheControl: [s3deploy.CacheControl.fromString('no-cache')],
      distribution: this.distribution,
      distributionPaths: [...INVALIDATED_PATHS],
    });
    documents.node.addDependency(assets);

    this.suppressFindings(stack, deployRole, config);
  }

  private suppressFindings(stack: Stack, deployRole: ManagedPolicyRole, config: EnvironmentConfig): void {
    NagSuppressions.addResourceSuppressions(this.logsBucket, [
      {
        id: 'HIPAA.Security-S3DefaultEncryptionKMS',
        reason: 'S3 server access logs and CloudFront standard logs are delivered only to SSE-S3 buckets; they hold '
          + 'request metadata about the console, not tenant data.',
      },
      {
        id: 'HIPAA.Security-S3BucketReplicationEnabled',
        reason: 'Single-region deployment: versioning and lifecycle protect the edge logs; cross-region '
          + 'replication is a disaster-recovery decision recorded in README.md (Deploy).',
      },
    ]);
    NagSuppressions.addResourceSuppressions(this.bucket, [
      {
        id: 'HIPAA.Security-S3DefaultEncryptionKMS',
        reason: 'The console bucket holds the built static console (the same files for everyone, served publicly '
          + 'through CloudFront): SSE-S3 protects it at rest without a key policy for CloudFront to read.',
      },
      {
        id: 'HIPAA.Security-S3BucketReplicationEnabled',
        reason: 'The console bucket is a build output: every cdk deploy writes it again from the repository, so a '
          + 'replica would add nothing to recovery.',
      },
    ]);
    NagSuppressions.addResourceSuppressions(this.distribution, [{
      id: 'AwsSolutions-CFR1',
      reason: 'No geo restriction: riders, facilities and drivers may travel or use roaming networks, and the '
        + 'WAF rate rules, the proof-of-work challenge and the SMS country allow-list bound abuse instead.',
    }]);
    if (!config.edge.customDomain) {
      NagSuppressions.addResourceSuppressions(this.distribution, [{
        id: 'AwsSolutions-CFR4',
        reason: 'Without a custom domain CloudFront serves its default *.cloudfront.net certificate, for which it '
          + 'always applies the TLSv1 security policy whatever is configured; set edge.customDomain (ACM, us-east-1) '
          + 'to enforce TLSv1.2_2021. Browsers negotiate TLS 1.3/1.2 either way.',
      }]);
    }
    NagSuppressions.addResourceSuppressions(deployRole, [{
      id: 'AwsSolutions-IAM5',
      reason: 'CDK\'s BucketDeployment grant: read the asset objects of the CDK assets bucket and write every key '
        + 'of the console bucket (the build names the files); BucketDeployment grants cloudfront:CreateInvalidation '
        + 'and GetInvalidation on "*" as CDK writes it; ENI management has no resource-level permissions.',
      appliesTo: [{ regex: '/^(Action::s3:.*|Resource::.*)$/g' }],
    }], true);
    // The singleton function CDK creates for BucketDeployment (one per stack).
    for (const handler of stack.node.children.filter((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'))) {
      NagSuppressions.addResourceSuppressions(handler, [
        {
          id: 'AwsSolutions-L1',
          reason: 'CDK\'s BucketDeployment handler ships with its own Python runtime pinned by aws-cdk-lib; it is '
            + 'updated with the library, not by this app.',
        },
        {
          id: 'HIPAA.Security-LambdaConcurrency',
          reason: 'CDK\'s BucketDeployment handler runs only during cdk deploy, invoked by CloudFormation once per '
            + 'console deployment; reserved concurrency would only take capacity from the API.',
        },
        {
          id: 'HIPAA.Security-LambdaDLQ',
          reason: 'CDK\'s BucketDeployment handler is invoked synchronously by CloudFormation, which fails the '
            + 'deploy on an error; there is no asynchronous retry to catch.',
        },
        {
          id: 'Serverless-LambdaDLQ',
          reason: 'CDK\'s BucketDeployment handler is invoked synchronously by CloudFormation, which fails the '
            + 'deploy on an error; there is no asynchronous retry to catch.',
        },
        {
          id: 'Serverless-LambdaLatestVersion',
          reason: 'CDK\'s BucketDeployment handler ships with its own Python runtime pinned by aws-cdk-lib; it is '
            + 'updated with the library, not by this app.',
        },
        {
          id: 'Serverless-LambdaTracing',
          reason: 'CDK\'s BucketDeployment handler copies the built console during deploys and offers no tracing '
            + 'setting; CloudFormation events and its own encrypted log group record each run.',
        },
      ], true);
    }
  }
}

