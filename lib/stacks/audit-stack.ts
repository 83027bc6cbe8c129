import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { ANCHOR_PREFIX } from '../../lambdas/shared/audit/anchor-store';
import { AppFunction } from '../constructs/app-function';
import { BaseStack, type BaseStackProps } from './base-stack';

export interface AuditStackProps extends BaseStackProps {
  readonly logsKey: kms.IKey;
  readonly vpc: ec2.IVpc;
  readonly lambdaSecurityGroup: ec2.ISecurityGroup;
  readonly proxy: rds.IDatabaseProxy;
  readonly databaseName: string;
}

/**
 * CloudTrail (S13): every region's management events, log-file validation, encrypted with the
 * logs key into a versioned, access-logged bucket whose lifecycle archives and then expires the
 * history, and into an encrypted CloudWatch log group for search and alarms. And the audit chain
 * anchors: a scheduled function (lambdas/anchor) that checks the newest anchor against the
 * database and writes a new one into a bucket under Object Lock, which the database owner cannot
 * reach and nobody can rewrite (docs/security/threat-model.md).
 */
export class AuditStack extends BaseStack {
  readonly trail: cloudtrail.Trail;
  readonly trailBucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  readonly trailLogs: logs.LogGroup;
  readonly anchorsBucket: s3.Bucket;
  readonly anchorFunction: AppFunction;

  constructor(scope: Construct, id: string, props: AuditStackProps) {
    super(scope, id, props);
    const { config } = this;
    const removalPolicy = this.statefulRemovalPolicy;
    const audit = config.audit;

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging can deliver only to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy,
      lifecycleRules: [{
        id: 'expire-access-logs',
        expiration: Duration.days(audit.expireAfterDays),
        noncurrentVersionExpiration: Duration.days(30),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      }],
    });

    this.trailBucket = new s3.Bucket(this, 'TrailBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.logsKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'trail-bucket/',
      removalPolicy,
      lifecycleRules: [{
        id: 'archive-then-expire-trail',
        transitions: [{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(audit.archiveAfterDays) }],
        expiration: Duration.days(audit.expireAfterDays),
        noncurrentVersionExpiration: Duration.days(90),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      }],
    });

    this.trailLogs = new logs.LogGroup(this, 'TrailLogs', {
      encryptionKey: props.logsKey,
      retention: audit.logRetentionDays,
      removalPolicy,
    });

    this.trail = new cloudtrail.Trail(this, 'Trail', {
      trailName: `nemt-${config.name}`,
      bucket: this.trailBucket,
      encryptionKey: props.logsKey,
      enableFileValidation: true,
      includeGlobalServiceEvents: true,
      isMultiRegionTrail: true,
      managementEvents: cloudtrail.ReadWriteType.ALL,
      sendToCloudWatchLogs: true,
      cloudWatchLogGroup: this.trailLogs,
    });

    const trailLogsRole = this.trail.node.tryFindChild('LogsRole');
    if (trailLogsRole) {
      NagSuppressions.addResourceSuppressions(trailLogsRole, [{
        id: 'HIPAA.Security-IAMNoInlinePolicy',
        reason: 'CloudTrail\'s delivery role is created inside the Trail construct with one inline statement '
          + '(CreateLogStream/PutLogEvents on this trail\'s log group); CDK offers no way to supply the role.',
      }], true);
    }
    NagSuppressions.addResourceSuppressions(this.accessLogsBucket, [
      {
        id: 'HIPAA.Security-S3DefaultEncryptionKMS',
        reason: 'S3 server access logging delivers only to buckets encrypted with SSE-S3; the logs hold request '
          + 'metadata about the trail bucket, not tenant data.',
      },
      {
        id: 'HIPAA.Security-S3BucketReplicationEnabled',
        reason: 'Single-region deployment: versioning and lifecycle protect the access logs; cross-region '
          + 'replication is a disaster-recovery decision recorded in README.md (Deploy).',
      },
    ]);
    NagSuppressions.addResourceSuppressions(this.trailBucket, [{
      id: 'HIPAA.Security-S3BucketReplicationEnabled',
      reason: 'Single-region deployment: the trail bucket is versioned with log-file validation; cross-region '
        + 'replication is a disaster-recovery decision recorded in README.md (Deploy).',
    }]);

    this.anchorsBucket = this.createAnchorsBucket(props.logsKey);
    this.anchorFunction = this.createAnchorFunction(props);
  }

  private createAnchorsBucket(key: kms.IKey): s3.Bucket {
    const { anchorLockDays, anchorLockMode } = this.config.audit;
    const bucket = new s3.Bucket(this, 'AuditAnchors', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention: anchorLockMode === 'COMPLIANCE'
        ? s3.ObjectLockRetention.compliance(Duration.days(anchorLockDays))
        : s3.ObjectLockRetention.governance(Duration.days(anchorLockDays)),
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'audit-anchors/',
      // Locked objects outlive any stack; an emptied bucket can be removed by hand.
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{
        id: 'expire-anchors-after-their-lock',
        expiration: Duration.days(anchorLockDays + 1),
        noncurrentVersionExpiration: Duration.days(anchorLockDays + 1),
        abortIncompleteMultipartUploadAfter: Duration.days(1),
      }],
    });
    NagSuppressions.addResourceSuppressions(bucket, [{
      id: 'HIPAA.Security-S3BucketReplicationEnabled',
      reason: 'Single-region deployment: the anchors are write-once under Object Lock; cross-region replication '
        + 'is a disaster-recovery decision recorded in README.md (Deploy).',
    }]);
    return bucket;
  }

  private createAnchorFunction(props: AuditStackProps): AppFunction {
    const { config } = this;
    const anchor = new AppFunction(this, 'AuditAnchor', {
      vpc: props.vpc,
      securityGroup: props.lambdaSecurityGroup,
      encryptionKey: props.logsKey,
      logRetention: config.functions.logRetentionDays,
      removalPolicy: this.statefulRemovalPolicy,
      entry: 'lambdas/anchor/handler.ts',
      description: 'Checks the newest audit chain anchor against the database, then writes a new one',
      reservedConcurrency: config.functions.reservedConcurrency.anchor,
      invocation: 'asynchronous',
      timeout: Duration.seconds(120),
      environment: { POWERTOOLS_SERVICE_NAME: 'nemt-anchor', ANCHOR_BUCKET: this.anchorsBucket.bucketName },
    });
    anchor.connectToDatabase(props.proxy, 'nemt_auditor_user', props.databaseName);
    // Exactly the calls of lambdas/shared/audit/anchor-store.ts: list, read and add anchors. No
    // delete, no retention or legal-hold change, no bypass of governance mode.
    anchor.addToRolePolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [this.anchorsBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${ANCHOR_PREFIX}*`] } },
    }));
    anchor.addToRolePolicy(new iam.PolicyStatement({
      actions: ['s3:GetObject', 's3:PutObject'],
      resources: [this.anchorsBucket.arnForObjects(`${ANCHOR_PREFIX}*`)],
    }));
    props.logsKey.grantEncryptDecrypt(anchor);
    NagSuppressions.addResourceSuppressions(anchor.serviceRole, [{
      id: 'AwsSolutions-IAM5',
      reason: 'Anchor objects are named by the time they were taken, so the grant covers the anchors/ prefix of '
        + 'the one anchors bucket (read and add only), and the logs key\'s GenerateDataKey*/ReEncrypt* for its SSE-KMS.',
      appliesTo: [
        `Resource::<${this.getLogicalId(this.anchorsBucket.node.defaultChild as s3.CfnBucket)}.Arn>/${ANCHOR_PREFIX}*`,
        'Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*',
      ],
    }], true);
    new events.Rule(this, 'AuditAnchorSchedule', {
      description: 'Anchors the audit hash chains',
      schedule: events.Schedule.rate(Duration.minutes(config.audit.anchorEveryMinutes)),
      // A run EventBridge cannot hand to Lambda lands in the anchor's dead-letter queue (alarmed).
      targets: [new targets.LambdaFunction(anchor, { retryAttempts: 0, deadLetterQueue: anchor.deadLetterQueue })],
    });
    return anchor;
  }
}
