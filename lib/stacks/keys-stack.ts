import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { backupVaultLocation } from '../config';
import { BaseStack, type BaseStackProps } from './base-stack';

/**
 * Customer-managed keys with yearly automatic rotation (S11), separated so that log readers
 * (operators, auditors) never need decrypt rights on the keys that protect tenant data:
 *  - data: Aurora storage and Performance Insights, the master-user secret, SQS, SNS;
 *  - logs: CloudWatch log groups, the CloudTrail trail and its bucket;
 *  - pii: the application key under which per-tenant data keys wrap rider PII (S25), usable
 *    only with a `facility_id` encryption context (lib/constructs/app-function.ts);
 *  - backup: the AWS Backup vault of the database (S29), apart from the data key so that the
 *    vault's key and its lock are governed on their own (Aurora snapshots themselves stay under
 *    the data key; the vault key protects the vault and what AWS Backup encrypts there itself).
 * The default key policy delegates to IAM in this account; service principals that encrypt on
 * our behalf are added here, scoped by encryption context where the service provides one.
 */
export class KeysStack extends BaseStack {
  readonly dataKey: kms.Key;
  readonly logsKey: kms.Key;
  readonly piiKey: kms.Key;
  readonly backupKey: kms.Key;

  constructor(scope: Construct, id: string, props: BaseStackProps) {
    super(scope, id, props);
    const removalPolicy = this.statefulRemovalPolicy;
    const pendingWindow = Duration.days(this.config.retainStatefulResources ? 30 : 7);

    this.dataKey = new kms.Key(this, 'DataKey', {
      alias: `alias/nemt-${this.config.name}-data`,
      description: `NEMT Dispatch ${this.config.name}: database, secrets, queues and topics`,
      enableKeyRotation: true,
      pendingWindow,
      removalPolicy,
    });
    // CloudWatch alarms publish to the encrypted operations topic.
    this.dataKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublishToEncryptedTopics',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
    }));

    this.piiKey = new kms.Key(this, 'PiiKey', {
      alias: `alias/nemt-${this.config.name}-pii`,
      description: `NEMT Dispatch ${this.config.name}: per-tenant data keys for rider PII`,
      enableKeyRotation: true,
      pendingWindow,
      removalPolicy,
    });

    new CfnOutput(this, 'PiiKeyArn', { value: this.piiKey.keyArn, description: 'npm run keys:rotate -- --kms-key-arn' });

    this.backupKey = new kms.Key(this, 'BackupKey', {
      alias: `alias/nemt-${this.config.name}-backup`,
      description: `NEMT Dispatch ${this.config.name}: the database backup vault (AWS Backup)`,
      enableKeyRotation: true,
      pendingWindow,
      removalPolicy,
    });
    this.shareDataKeyWithBackupCopyAccount();

    this.logsKey = new kms.Key(this, 'LogsKey', {
      alias: `alias/nemt-${this.config.name}-logs`,
      description: `NEMT Dispatch ${this.config.name}: CloudWatch Logs and CloudTrail`,
      enableKeyRotation: true,
      pendingWindow,
      removalPolicy,
    });
    this.logsKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchLogsEncryptLogGroupsOfThisAccount',
      principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:*` },
      },
    }));
    this.logsKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudTrailEncryptLogsOfThisAccount',
      principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
      actions: ['kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: {
        StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${this.partition}:cloudtrail:*:${this.account}:trail/*` },
        StringEquals: { 'aws:SourceAccount': this.account },
      },
    }));
    // The scheduled functions' dead-letter queues (logs key) also take the events EventBridge
    // could not deliver; the queue policy names each rule, this names the account's rules.
    this.logsKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'EventBridgeSendsUndeliveredEventsToEncryptedDeadLetterQueues',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'aws:SourceArn': `arn:${this.partition}:events:${this.region}:${this.account}:rule/*` },
        StringEquals: { 'aws:SourceAccount': this.account },
      },
    }));
    this.logsKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudTrailDescribeKey',
      principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
      actions: ['kms:DescribeKey'],
      resources: ['*'],
    }));
  }

  /**
   * Aurora snapshots stay encrypted with the cluster's key (the data key) when AWS Backup takes
   * them; a copy into another account can only be made if that account may use the key to
   * re-encrypt the copy under its own vault's key. Same-account copies need nothing here.
   */
  private shareDataKeyWithBackupCopyAccount(): void {
    const copyTo = this.config.backup.copyTo;
    const destination = copyTo ? backupVaultLocation(copyTo.vaultArn) : undefined;
    if (!destination || destination.account === this.account) return;
    this.dataKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'BackupCopyAccountReEncryptsDatabaseSnapshots',
      principals: [new iam.AccountPrincipal(destination.account)],
      actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:ReEncrypt*'],
      resources: ['*'],
    }));
    this.dataKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'BackupCopyAccountGrantsForAwsBackupOnly',
      principals: [new iam.AccountPrincipal(destination.account)],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }));
  }
}
