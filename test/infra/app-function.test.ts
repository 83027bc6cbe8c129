import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AppFunction, type AppFunctionProps } from '../../lib/constructs/app-function';

/** The defaults every Lambda of the app inherits from AppFunction (bundling skipped). */
function fixture() {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Fn', { env: { account: '123456789012', region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    natGateways: 1,
    subnetConfiguration: [
      { name: 'edge', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    ],
  });
  const securityGroup = new ec2.SecurityGroup(stack, 'Sg', { vpc, allowAllOutbound: false });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const base: AppFunctionProps = {
    entry: 'lambdas/pre-token/handler.ts',
    description: 'test function',
    vpc,
    securityGroup,
    encryptionKey: key,
    logRetention: logs.RetentionDays.ONE_MONTH,
    reservedConcurrency: 3,
    invocation: 'synchronous',
    removalPolicy: RemovalPolicy.DESTROY,
  };
  return { app, stack, vpc, securityGroup, key, base };
}

test('Node 24 on arm64, traced, JSON logs, reserved concurrency, private subnets, no managed policies', () => {
  const { stack, base } = fixture();
  new AppFunction(stack, 'Subject', base);
  const template = Template.fromStack(stack);
  template.hasResourceProperties('AWS::Lambda::Function', {
    Runtime: 'nodejs24.x',
    Architectures: ['arm64'],
    TracingConfig: { Mode: 'Active' },
    ReservedConcurrentExecutions: 3,
    LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp('^SubjectLogs') } },
    VpcConfig: {
      SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Sg'), 'GroupId'] }],
      SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('^VpcappSubnet') }]),
    },
    Environment: Match.absent(),
  });
  template.hasResourceProperties('AWS::Logs::LogGroup', {
    KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
    RetentionInDays: 30,
  });
  template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent(), Policies: Match.absent() });
  template.resourceCountIs('AWS::IAM::Policy', 0);
  for (const statement of [
    { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SubjectLogs'), 'Arn'] } },
    { Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'] },
    { Action: Match.arrayWith(['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface']) },
  ]) {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^SubjectRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike(statement)]) },
    });
  }
});

test('only asynchronously invoked functions get an encrypted dead-letter queue', () => {
  const { stack, base } = fixture();
  new AppFunction(stack, 'Sync', base);
  new AppFunction(stack, 'Async', { ...base, invocation: 'asynchronous' });
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::SQS::Queue', 1);
  template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } });
  template.hasResourceProperties('AWS::Lambda::Function', {
    Description: 'test function',
    DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AsyncDeadLetters'), 'Arn'] } },
  });
});

test.each(['DB_PASSWORD', 'JWT_SECRET', 'STRIPE_API_KEY', 'AWS_SECRET_ACCESS_KEY', 'SIGNING_PRIVATE_KEY'])(
  'refuses a secret-looking environment variable: %s', (name) => {
    const { stack, base } = fixture();
    expect(() => new AppFunction(stack, 'Leaky', { ...base, environment: { [name]: 'x' } })).toThrow(/looks like a secret/);
    const fn = new AppFunction(stack, 'Later', base);
    expect(() => fn.addEnvironment(name, 'x')).toThrow(/looks like a secret/);
  });

test('a secret ARN is not a secret', () => {
  const { stack, base } = fixture();
  expect(() => new AppFunction(stack, 'Fine', { ...base, environment: { DB_SECRET_ARN: 'arn:aws:secretsmanager:x' } })).not.toThrow();
});

test('sendToQueue grants sending and names the queue, nothing more', () => {
  const { stack, base, key } = fixture();
  const queue = new sqs.Queue(stack, 'Queue', { encryptionMasterKey: key });
  new AppFunction(stack, 'Sender', base).sendToQueue(queue);
  const template = Template.fromStack(stack);
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ OUTBOX_QUEUE_URL: { Ref: Match.stringLikeRegexp('^Queue') } }) },
  });
  template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
    PolicyDocument: {
      Statement: Match.arrayWith([Match.objectLike({
        Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Queue'), 'Arn'] },
      })]),
    },
  });
});

test('encryptPiiWith allows data keys only under a facility_id encryption context', () => {
  const { stack, base, key } = fixture();
  new AppFunction(stack, 'Pii', base).encryptPiiWith(key);
  const template = Template.fromStack(stack);
  template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
    PolicyDocument: {
      Statement: Match.arrayWith([{
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
        Condition: {
          'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['facility_id'] },
          Null: { 'kms:EncryptionContext:facility_id': 'false' },
        },
      }]),
    },
  });
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ PII_KEY_ARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } }) },
  });
});

test('encryptPiiWith decrypt-only grants Decrypt alone, under the same facility_id condition', () => {
  const { stack, base, key } = fixture();
  new AppFunction(stack, 'PiiReader', base).encryptPiiWith(key, 'decrypt-only');
  const statements = Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy');
  const onKey = Object.values(statements).flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown; Condition?: unknown }[])
      .filter((statement) => JSON.stringify(statement.Resource).includes('Key')));
  expect(onKey).toEqual([expect.objectContaining({
    Action: 'kms:Decrypt',
    Condition: {
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['facility_id'] },
      Null: { 'kms:EncryptionContext:facility_id': 'false' },
    },
  })]);
});
