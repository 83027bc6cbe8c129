import { AssetHashType, Duration, Fn, type RemovalPolicy } from 'aws-cdk-lib';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { type BundledFiles, bundleLambda, LAMBDA_NODE_MAJOR, PROJECT_ROOT } from './lambda-bundle';
import { ManagedPolicyRole } from './managed-policy-role';

/** Newest Node.js LTS that Lambda offers in this aws-cdk-lib. */
export const NODE_RUNTIME = lambda.Runtime.NODEJS_24_X;
if (NODE_RUNTIME.name !== `nodejs${LAMBDA_NODE_MAJOR}.x`) throw new Error(`the bundles target Node ${LAMBDA_NODE_MAJOR}, not ${NODE_RUNTIME.name}`);

/**
 * How the function is invoked decides whether a Lambda dead-letter queue means anything: only
 * asynchronous invocations (EventBridge) are retried by Lambda and can land in one.
 */
export type Invocation = 'synchronous' | 'asynchronous' | 'queue';

/** Database login users of schema/0007, one per function kind. */
export type DatabaseUser = 'nemt_api_user' | 'nemt_intake_user' | 'nemt_notifier_user' | 'nemt_auditor_user'
  | 'nemt_materialiser_user';

export interface AppFunctionProps {
  /** Path of the entry file relative to the repository root, e.g. `lambdas/api/handler.ts`. */
  readonly entry: string;
  readonly description: string;
  readonly vpc: ec2.IVpc;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Encrypts the log group (and the dead-letter queue of asynchronous functions). */
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly reservedConcurrency: number;
  readonly invocation: Invocation;
  readonly removalPolicy: RemovalPolicy;
  readonly timeout?: Duration;
  readonly memorySize?: number;
  readonly environment?: Readonly<Record<string, string>>;
  /** Files the code reads beside itself at run time (the migrations' SQL). */
  readonly bundledFiles?: BundledFiles;
  /** Why the function also needs actions that name no resource, beyond ENI management and X-Ray. */
  readonly unscopedActionsReason?: string;
}

/** Environment variable names that would suggest a secret value; secrets never go in env (S18). */
const SECRET_LOOKING_NAME = /(PASSWORD|PASSWD|PRIVATE_KEY|SECRET(?!_ARN$)|ACCESS_KEY|API_KEY|CREDENTIAL)/i;

/**
 * Every Lambda of the app, with the defaults in one place: Node LTS on arm64, active tracing,
 * its own KMS-encrypted log group with retention and JSON logs, minified ES modules with source
 * maps that include the AWS SDK (the version we test is the version we run; built by
 * lambda-bundle.ts, split so code loaded with `import()` waits for its first use), reserved
 * concurrency, in the VPC's private subnets behind the Lambda security group, and a role that
 * starts with only what running in a VPC and logging need. Access is added with the helpers.
 */
export class AppFunction extends lambda.Function {
  readonly serviceRole: ManagedPolicyRole;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    const role = new ManagedPolicyRole(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${id}: ${props.description}`.slice(0, 1000),
    });
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const deadLetterQueue = props.invocation === 'asynchronous'
      ? new sqs.Queue(scope, `${id}DeadLetters`, {
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: props.encryptionKey,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      })
      : undefined;
    super(scope, id, {
      code: lambda.Code.fromAsset(PROJECT_ROOT, {
        // The hash of what was built, as NodejsFunction does: the same code gives the same asset.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never pulled: the build runs here, with the project's own esbuild, and fails loudly.
          image: NODE_RUNTIME.bundlingImage,
          local: {
            tryBundle(outputDir: string) {
              bundleLambda(props.entry, outputDir, props.bundledFiles);
              return true;
            },
          },
        },
      }),
      handler: 'index.handler',
      description: props.description,
      runtime: NODE_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(15),
      tracing: lambda.Tracing.ACTIVE,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      reservedConcurrentExecutions: props.reservedConcurrency,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [props.securityGroup],
      allowPublicSubnet: false,
      deadLetterQueue,
      recursiveLoop: lambda.RecursiveLoop.TERMINATE,
      environment: props.environment,
    });
    this.serviceRole = role;

    // Lambda attaches its network interfaces with the function's role; these EC2 calls have no
    // resource-level permissions (see the AWSLambdaVPCAccessExecutionRole policy).
    role.addToPolicy(new iam.PolicyStatement({
      actions: [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      resources: ['*'],
    }));
    logGroup.grantWrite(role);
    for (const name of Object.keys(props.environment ?? {})) assertNotSecret(name);

    NagSuppressions.addResourceSuppressions(role, [{
      id: 'AwsSolutions-IAM5',
      reason: 'ENI management for VPC attachment and X-Ray segment upload support no resource-level permissions'
        + (props.unscopedActionsReason ? `; ${props.unscopedActionsReason}` : '; everything else in this role names its resource.'),
      appliesTo: ['Resource::*'],
    }], true);
    if (props.invocation !== 'asynchronous') {
      const reason = props.invocation === 'queue'
        ? 'Invoked by an SQS event source mapping: failed messages go to the source queue\'s dead-letter queue.'
        : 'Invoked synchronously (API Gateway, Cognito or a deployment trigger): the caller receives the error, '
          + 'so Lambda never retries into a dead-letter queue.';
      NagSuppressions.addResourceSuppressions(this, [
        { id: 'HIPAA.Security-LambdaDLQ', reason },
        { id: 'Serverless-LambdaDLQ', reason },
      ]);
    }
    if (deadLetterQueue) {
      NagSuppressions.addResourceSuppressions(deadLetterQueue, [{
        id: 'Serverless-SQSRedrivePolicy',
        reason: 'This is the function\'s own dead-letter queue, the end of the line for runs Lambda or EventBridge '
          + 'gave up on; it is alarmed and kept 14 days, and a redrive policy on it would have nowhere to go.',
      }]);
    }
  }

  override addEnvironment(key: string, value: string, options?: lambda.EnvironmentOptions): this {
    assertNotSecret(key);
    return super.addEnvironment(key, value, options);
  }

  /** Connects through RDS Proxy as `user` with an IAM token: no password anywhere. */
  connectToDatabase(proxy: rds.IDatabaseProxy, user: DatabaseUser, databaseName: string): this {
    proxy.grantConnect(this, user);
    this.addEnvironment('DB_HOST', proxy.endpoint);
    this.addEnvironment('DB_PORT', '5432');
    this.addEnvironment('DB_NAME', databaseName);
    this.addEnvironment('DB_USER', user);
    return this;
  }

  /** Hands outbox ids to the notification queue after commit. */
  sendToQueue(queue: sqs.IQueue): this {
    queue.grantSendMessages(this);
    this.addEnvironment('OUTBOX_QUEUE_URL', queue.queueUrl);
    if (queue.encryptionMasterKey) {
      NagSuppressions.addResourceSuppressions(this.serviceRole, [{
        id: 'AwsSolutions-IAM5',
        reason: 'Sending to a KMS-encrypted queue needs kms:GenerateDataKey* and kms:ReEncrypt* (CDK\'s SQS send '
          + 'grant); both are limited to the one data key that encrypts the queue.',
        appliesTo: ['Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*'],
      }], true);
    }
    return this;
  }

  /**
   * Verifies Cognito access tokens issued to one of `clients` carrying `scope`; the issuer and
   * its key set follow from USER_POOL_ID and the region.
   */
  verifyTokensFrom(userPool: cognito.IUserPool, clients: readonly cognito.IUserPoolClient[], scope: string): this {
    this.addEnvironment('USER_POOL_ID', userPool.userPoolId);
    this.addEnvironment('APP_CLIENT_IDS', Fn.join(',', clients.map((client) => client.userPoolClientId)));
    this.addEnvironment('API_SCOPE', scope);
    return this;
  }

  /**
   * Field-level encryption of rider PII (S25): tenant data keys from the PII key, and only with a
   * `facility_id` encryption context, so a wrapped key cannot be opened outside its tenant. A
   * function that only reads PII (the notifier) gets Decrypt alone: it never creates a tenant key.
   */
  encryptPiiWith(key: kms.IKey, access: 'generate-and-decrypt' | 'decrypt-only' = 'generate-and-decrypt'): this {
    this.addToRolePolicy(new iam.PolicyStatement({
      actions: access === 'decrypt-only' ? ['kms:Decrypt'] : ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: [key.keyArn],
      conditions: {
        'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['facility_id'] },
        Null: { 'kms:EncryptionContext:facility_id': 'false' },
      },
    }));
    this.addEnvironment('PII_KEY_ARN', key.keyArn);
    return this;
  }

  /** Lets the user-management routes create, group, move, disable and sign out users. */
  administerUsers(userPool: cognito.IUserPool): this {
    this.addEnvironment('USER_POOL_ID', userPool.userPoolId);
    // Exactly the calls of lambdas/shared/identity/cognito.ts.
    userPool.grant(this,
      'cognito-idp:AdminCreateUser',
      'cognito-idp:AdminGetUser',
      'cognito-idp:AdminAddUserToGroup',
      'cognito-idp:AdminRemoveUserFromGroup',
      'cognito-idp:AdminUpdateUserAttributes',
      'cognito-idp:AdminDeleteUserAttributes',
      'cognito-idp:AdminDeleteUser',
      'cognito-idp:AdminDisableUser',
      'cognito-idp:AdminEnableUser',
      'cognito-idp:AdminUserGlobalSignOut');
    return this;
  }
}

function assertNotSecret(name: string): void {
  if (SECRET_LOOKING_NAME.test(name)) {
    throw new Error(`environment variable ${name} looks like a secret; read secrets at run time instead (S18)`);
  }
}
