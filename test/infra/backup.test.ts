import { Match } from 'aws-cdk-lib/assertions';
import { routes } from '../../lambdas/api/routes';
import { loadConfig } from '../../lib/config';
import { BACKUP_COMPLETION_WINDOW, BACKUP_START_WINDOW, DAILY_BACKUP_HOUR_UTC } from '../../lib/constructs/database-backup';
import { logicalIdOf, resourcesOf, type SynthesisedApp, synthesise } from './synth';

/**
 * SECURITY S29: AWS Backup of the database beyond Aurora's point-in-time restore. Three synths:
 * prod (the lock), dev (no lock, no copy) and dev with a copy to another account configured.
 */
const COPY_VAULT = 'arn:aws:backup:us-west-2:444444444444:backup-vault:nemt-dev-copies';
let prod: SynthesisedApp;
let dev: SynthesisedApp;
let devWithCopy: SynthesisedApp;

beforeAll(() => {
  prod = synthesise({ env: 'prod', routes });
  dev = synthesise({ env: 'dev', routes });
  devWithCopy = synthesise({ env: 'dev', routes, context: { backupCopyVaultArn: COPY_VAULT } });
}, 300_000);

afterAll(() => {
  for (const app of [prod, dev, devWithCopy]) app?.cleanup();
});

type Props = Record<string, unknown>;
interface Resource {
  readonly Properties?: Props;
  readonly DeletionPolicy?: string;
}

function only(app: SynthesisedApp, type: string): Resource {
  const found = Object.values(resourcesOf(app.templates.data, type));
  if (found.length !== 1) throw new Error(`expected one ${type} in the data stack, found ${found.length}`);
  return found[0] as Resource;
}

const props = (resource: Resource): Props => resource.Properties ?? {};
const planRule = (app: SynthesisedApp): Props =>
  ((props(only(app, 'AWS::Backup::BackupPlan')).BackupPlan as { BackupPlanRule: Props[] }).BackupPlanRule)[0] as Props;

describe('the backup plan', () => {
  test.each([['prod', () => prod], ['dev', () => dev]] as const)('%s: one daily rule, kept the configured days, into the vault', (env, app) => {
    const rule = planRule(app());
    expect(rule).toMatchObject({
      RuleName: 'Daily',
      ScheduleExpression: `cron(0 ${DAILY_BACKUP_HOUR_UTC} * * ? *)`,
      StartWindowMinutes: BACKUP_START_WINDOW.toMinutes(),
      CompletionWindowMinutes: BACKUP_COMPLETION_WINDOW.toMinutes(),
      Lifecycle: { DeleteAfterDays: loadConfig(env).backup.dailyRetentionDays },
      TargetBackupVault: { 'Fn::GetAtt': [expect.stringMatching(/^BackupVault/), 'BackupVaultName'] },
    });
  });

  test('no continuous-backup rule: point-in-time restore stays the cluster\'s own, 35 days in prod', () => {
    expect(planRule(prod).EnableContinuousBackup).toBe(false);
    prod.templates.data.hasResourceProperties('AWS::RDS::DBCluster', { BackupRetentionPeriod: 35 });
  });

  test('the daily backup starts before Aurora\'s own backup window and ends before it opens', () => {
    prod.templates.data.hasResourceProperties('AWS::RDS::DBCluster', { PreferredBackupWindow: '07:00-08:00' });
    expect(DAILY_BACKUP_HOUR_UTC + BACKUP_START_WINDOW.toHours()).toBeLessThanOrEqual(7);
  });

  test('it selects the Aurora cluster itself, and its role cannot restore', () => {
    const clusterId = logicalIdOf(prod.stacks.data, prod.stacks.data.cluster);
    const selection = only(prod, 'AWS::Backup::BackupSelection').Properties?.BackupSelection as Props;
    const selected = JSON.stringify(selection.Resources);
    expect(selected).toContain(':cluster:');
    expect(selected).toContain(`{"Ref":"${clusterId}"}`);
    const roles = Object.values(resourcesOf(prod.templates.data, 'AWS::IAM::Role'))
      .filter((role) => JSON.stringify(role).includes('backup.amazonaws.com'));
    expect(roles).toHaveLength(1);
    const managed = JSON.stringify((roles[0] as Resource).Properties?.ManagedPolicyArns);
    expect(managed).toContain('AWSBackupServiceRolePolicyForBackup');
    expect(managed).not.toContain('Restores');
  });
});

describe('the vault', () => {
  test('is encrypted with the dedicated backup key from the keys stack, not the data key', () => {
    const vault = only(prod, 'AWS::Backup::BackupVault').Properties as Props;
    const key = JSON.stringify(vault.EncryptionKeyArn);
    expect(key).toMatch(/BackupKey/);
    expect(key).not.toMatch(/DataKey/);
    prod.templates.keys.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('backup vault'), EnableKeyRotation: true,
    });
    prod.templates.keys.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/nemt-prod-backup' });
  });

  test('prod: Vault Lock with the configured bounds, recovery-point deletion denied, retained with its key', () => {
    const lock = loadConfig('prod').backup.vaultLock;
    expect(lock).toBeDefined();
    const vault = only(prod, 'AWS::Backup::BackupVault');
    expect(vault.Properties?.LockConfiguration).toEqual({
      MinRetentionDays: lock?.minRetentionDays, MaxRetentionDays: lock?.maxRetentionDays, ChangeableForDays: lock?.changeableForDays,
    });
    expect((props(vault).AccessPolicy as { Statement: Props[] }).Statement).toEqual([expect.objectContaining({
      Effect: 'Deny', Principal: { AWS: '*' }, Action: expect.arrayContaining(['backup:DeleteRecoveryPoint', 'backup:UpdateRecoveryPointLifecycle']),
    })]);
    expect(vault.DeletionPolicy).toBe('Retain');
    prod.templates.keys.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ Description: Match.stringLikeRegexp('backup vault') }), DeletionPolicy: 'Retain',
    });
  });

  test('prod: the daily retention lies within the lock\'s bounds (else the vault refuses every job)', () => {
    const { dailyRetentionDays, vaultLock } = loadConfig('prod').backup;
    expect(planRule(prod).Lifecycle).toEqual({ DeleteAfterDays: dailyRetentionDays });
    expect(dailyRetentionDays).toBeGreaterThanOrEqual(vaultLock?.minRetentionDays ?? Number.POSITIVE_INFINITY);
    expect(dailyRetentionDays).toBeLessThanOrEqual(vaultLock?.maxRetentionDays ?? 0);
  });

  test('dev: no lock and no deletion guard, so its stacks can come and go', () => {
    const vault = only(dev, 'AWS::Backup::BackupVault');
    expect(vault.Properties?.LockConfiguration).toBeUndefined();
    expect(vault.Properties?.AccessPolicy).toBeUndefined();
    expect(vault.DeletionPolicy).toBe('Delete');
  });

  test('a failed daily backup alarms to the operations topic', () => {
    const topicId = logicalIdOf(prod.stacks.observability, prod.stacks.observability.operationsTopic);
    prod.templates.observability.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'nemt-prod-BackupJobsFailed',
      Namespace: 'AWS/Backup',
      MetricName: 'NumberOfBackupJobsFailed',
      Dimensions: [{ Name: 'BackupVaultName', Value: Match.anyValue() }],
      AlarmActions: [{ Ref: topicId }],
    });
  });
});

describe('the copy to another account or region', () => {
  test('is off by default: no copy action, the data key shared with no one', () => {
    for (const app of [prod, dev]) {
      expect(planRule(app).CopyActions).toBeUndefined();
      expect(JSON.stringify(app.templates.keys.toJSON())).not.toMatch(/BackupCopyAccount/);
    }
  });

  test('when configured: every daily point is copied to the destination vault, kept as long as the original', () => {
    expect(planRule(devWithCopy).CopyActions).toEqual([{
      DestinationBackupVaultArn: COPY_VAULT,
      Lifecycle: { DeleteAfterDays: loadConfig('dev').backup.dailyRetentionDays },
    }]);
  });

  test('into another account: that account may re-encrypt the snapshots made under the data key, and grant only to AWS services', () => {
    const keys = devWithCopy.templates.keys;
    keys.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('database'),
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'BackupCopyAccountReEncryptsDatabaseSnapshots',
            Principal: { AWS: Match.stringLikeRegexp(':iam::444444444444:root') },
            Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:ReEncrypt*'],
          }),
          Match.objectLike({
            Sid: 'BackupCopyAccountGrantsForAwsBackupOnly',
            Action: 'kms:CreateGrant',
            Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
          }),
        ]),
      },
    });
  });
});
