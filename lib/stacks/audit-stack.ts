import { Duration } from 'aws-cdk-lib';
import * as cloudtrail from 'aws-cdk-lib/aws-cloudtrail';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { BaseStack, type BaseStackProps } from './base-stack';

export interface AuditStackProps extends BaseStackProps {
  readonly logsKey: kms.IKey;
}

/**
 * CloudTrail (S13): every region's management events, log-file validation, encrypted with the
 * logs key into a versioned, access-logged bucket whose lifecycle archives and then expires the
 * history, and into an encrypted CloudWatch log group for search and alarms.
 */
export class AuditStack extends BaseStack {
  readonly trail: cloudtrail.Trail;
  readonly trailBucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  readonly trailLogs: logs.LogGroup;

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
  }
}
