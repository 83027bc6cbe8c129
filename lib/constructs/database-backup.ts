import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as rds from 'aws-cdk-lib/aws-rds';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config';

/**
 * The daily backup starts at 05:00 UTC: clear of Aurora's own backup window (07:00–08:00 UTC,
 * data-stack.ts), during which AWS Backup would wait, and of Sunday's maintenance window.
 */
export const DAILY_BACKUP_HOUR_UTC = 5;
export const BACKUP_START_WINDOW = Duration.hours(1);
export const BACKUP_COMPLETION_WINDOW = Duration.hours(4);

const AWS_BACKUP_SERVICE_POLICY = 'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup';

export interface DatabaseBackupProps {
  readonly cluster: rds.IDatabaseCluster;
  /** Encrypts the vault; a key of its own (keys-stack.ts), not the data key. */
  readonly encryptionKey: kms.IKey;
  readonly backup: EnvironmentConfig['backup'];
  /** `nemt-<env>`: the vault and the plan are named `<name>-database`. */
  readonly name: string;
  readonly removalPolicy: RemovalPolicy;
  /** Deny every principal DeleteRecoveryPoint and lifecycle changes in the vault's access policy. */
  readonly blockRecoveryPointDeletion: boolean;
}

/**
 * SECURITY S29: AWS Backup for the Aurora cluster, beyond Aurora's own point-in-time restore.
 *
 * One daily snapshot into a vault of its own, encrypted with its own key, kept for the
 * environment's `backup.dailyRetentionDays`; with Vault Lock where configured (prod), so that no
 * one — a compromised administrator or the account root — can delete a recovery point before the
 * lock's minimum; optionally copied into a vault of another account or region.
 *
 * No continuous-backup rule: the cluster already has continuous backups with point-in-time
 * restore (`database.backupRetentionDays`, set on the cluster by CloudFormation). An AWS Backup
 * continuous rule would take over that same retention setting from outside the stack, so the
 * cluster and the plan would fight over one value; and AWS Backup's continuous points reach no
 * further back (35 days at most) than Aurora's own. What AWS Backup adds is what PITR lacks: points
 * that outlive the cluster and the 35 days, that a lock protects, and that can leave the account.
 */
export class DatabaseBackup extends Construct {
  readonly vault: backup.BackupVault;
  readonly plan: backup.BackupPlan;
  readonly selection: backup.BackupSelection;

  constructor(scope: Construct, id: string, props: DatabaseBackupProps) {
    super(scope, id);
    const { dailyRetentionDays, vaultLock, copyTo } = props.backup;

    this.vault = new backup.BackupVault(this, 'Vault', {
      backupVaultName: `${props.name}-database`,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.removalPolicy,
      blockRecoveryPointDeletion: props.blockRecoveryPointDeletion,
      lockConfiguration: vaultLock
        ? {
          minRetention: Duration.days(vaultLock.minRetentionDays),
          maxRetention: Duration.days(vaultLock.maxRetentionDays),
          changeableFor: Duration.days(vaultLock.changeableForDays),
        }
        : undefined,
    });

    this.plan = new backup.BackupPlan(this, 'Plan', {
      backupPlanName: `${props.name}-database`,
      backupVault: this.vault,
    });
    this.plan.addRule(new backup.BackupPlanRule({
      ruleName: 'Daily',
      scheduleExpression: events.Schedule.cron({ minute: '0', hour: String(DAILY_BACKUP_HOUR_UTC) }),
      startWindow: BACKUP_START_WINDOW,
      completionWindow: BACKUP_COMPLETION_WINDOW,
      deleteAfter: Duration.days(dailyRetentionDays),
      enableContinuousBackup: false,
      copyActions: copyTo
        ? [{
          destinationBackupVault: backup.BackupVault.fromBackupVaultArn(this, 'CopyDestination', copyTo.vaultArn),
          deleteAfter: Duration.days(copyTo.retentionDays),
        }]
        : undefined,
    }));
    // Backs up only: restoring is an operator's deliberate act with their own rights (runbook).
    this.selection = this.plan.addSelection('Cluster', {
      resources: [backup.BackupResource.fromRdsDatabaseCluster(props.cluster)],
      allowRestores: false,
    });

    const role = this.selection.node.tryFindChild('Role');
    if (!role) throw new Error('the backup selection has no role');
    NagSuppressions.addResourceSuppressions(role, [{
      id: 'AwsSolutions-IAM4',
      reason: 'AWS Backup assumes this role with AWSBackupServiceRolePolicyForBackup, the AWS-maintained policy that '
        + 'follows the service\'s own needs for snapshotting Aurora (and tagging, copying, expiring the snapshots).',
      appliesTo: [AWS_BACKUP_SERVICE_POLICY],
    }], true);
  }
}
