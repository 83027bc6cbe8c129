import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { BaseStack, type BaseStackProps } from './base-stack';

export interface ObservabilityStackProps extends BaseStackProps {
  readonly dataKey: kms.IKey;
  readonly api: apigw.RestApi;
  readonly authorizationFailures: cloudwatch.IMetric;
  readonly apiFunction: lambda.IFunction;
  readonly usersFunction: lambda.IFunction;
  readonly intakeFunction: lambda.IFunction;
  readonly notifier: lambda.IFunction;
  readonly relay: lambda.IFunction;
  readonly auditAnchor: lambda.IFunction;
  readonly standingOrders: lambda.IFunction;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  /** The scheduled functions' own dead-letter queues (runs Lambda or EventBridge gave up on). */
  readonly relayDeadLetterQueue: sqs.IQueue;
  readonly auditAnchorDeadLetterQueue: sqs.IQueue;
  readonly standingOrdersDeadLetterQueue: sqs.IQueue;
  readonly proxy: rds.IDatabaseProxy;
  readonly cluster: rds.IDatabaseCluster;
  readonly backupVault: backup.IBackupVault;
}

/** The alarms SECURITY S19 names, to an encrypted operations topic, and a one-page dashboard. */
export const S19_ALARMS = ['Api5xx', 'AuthorizationFailures', 'NotificationDeadLetters', 'NotificationFailures',
  'DatabaseConnectionsPinned'] as const;

const FIVE_MINUTES = Duration.minutes(5);

/** The account's month-to-date SMS spend, which SNS publishes in the region it sends from. */
/** AWS Backup's job counts for one vault; a failed daily backup is a day of recovery points missing. */
export function backupJobsMetric(vaultName: string, outcome: 'Failed' | 'Completed'): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Backup',
    metricName: `NumberOfBackupJobs${outcome}`,
    dimensionsMap: { BackupVaultName: vaultName },
    statistic: 'Sum',
    period: Duration.hours(1),
  });
}

export const SMS_SPEND_METRIC = new cloudwatch.Metric({
  namespace: 'AWS/SNS',
  metricName: 'SMSMonthToDateSpentUSD',
  statistic: 'Maximum',
  period: FIVE_MINUTES,
});

export class ObservabilityStack extends BaseStack {
  readonly operationsTopic: sns.Topic;
  readonly alarms: ReadonlyMap<string, cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { config } = this;
    const thresholds = config.alarms;

    this.operationsTopic = new sns.Topic(this, 'OperationsTopic', {
      displayName: `NEMT Dispatch ${config.name} operations`,
      masterKey: props.dataKey,
      enforceSSL: true,
    });
    if (thresholds.email) this.operationsTopic.addSubscription(new subscriptions.EmailSubscription(thresholds.email));

    const pinned = new cloudwatch.Metric({
      namespace: 'AWS/RDS',
      metricName: 'DatabaseConnectionsCurrentlySessionPinned',
      dimensionsMap: { ProxyName: props.proxy.dbProxyName },
      statistic: 'Maximum',
      period: FIVE_MINUTES,
    });
    const definitions: ReadonlyArray<[string, string, cloudwatch.IMetric, number, number]> = [
      ['Api5xx', 'The API answered 5xx', props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
        thresholds.api5xxPer5Min, 1],
      ['AuthorizationFailures', 'Spike of 401/403 answers (token or role/tenant refusals)', props.authorizationFailures,
        thresholds.authorizationFailuresPer5Min, 1],
      ['NotificationDeadLetters', 'A notification exhausted its retries and is in the dead-letter queue',
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }), 1, 1],
      ['NotificationFailures', 'The notifier failed (errors in consecutive periods)',
        props.notifier.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, 2],
      ['DatabaseConnectionsPinned', 'RDS Proxy connections pinned to sessions (multiplexing lost)', pinned,
        thresholds.pinnedConnections, 3],
      ['NotificationBacklog', 'Notifications waiting longer than 15 minutes',
        props.queue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: 'Maximum' }), 900, 1],
      ['RelayFailures', 'The outbox relay failed', props.relay.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, 3],
      ['ApiFunctionErrors', 'The API function threw', props.apiFunction.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, 1],
      ['UsersFunctionErrors', 'The user-management function threw',
        props.usersFunction.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, 1],
      // A mismatch (history rewritten since the last anchor) fails every run until someone looks;
      // so does an anchor that cannot be written.
      ['AuditAnchorFailures', 'The audit anchor run failed: history no longer matches its anchor, or anchoring failed',
        props.auditAnchor.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }), 1, 1],
      ['IntakeThrottles', 'The intake function was throttled',
        props.intakeFunction.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' }), 1, 1],
      // A run that never happened does not show as a function error: EventBridge could not invoke it.
      ['RelayDeadLetters', 'A relay run was given up on (Lambda retries exhausted, or EventBridge could not invoke it)',
        props.relayDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }), 1, 1],
      ['AuditAnchorDeadLetters', 'An audit anchor run was given up on (Lambda retries exhausted, or EventBridge could not invoke it)',
        props.auditAnchorDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }), 1, 1],
      // A failed nightly run leaves the horizon a day short (the next night catches up); a failed
      // reminder run, a missed evening. Either is worth a look the same day.
      ['StandingOrdersFailures', 'The standing-orders run (nightly materialisation or hourly reminders) failed',
        props.standingOrders.metricErrors({ period: Duration.hours(1), statistic: 'Sum' }), 1, 1],
      ['StandingOrdersDeadLetters', 'A standing-orders run was given up on (Lambda retries exhausted, or EventBridge could not invoke it)',
        props.standingOrdersDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' }), 1, 1],
      // S29: the daily AWS Backup job of the database failed or was not completed in its window.
      ['BackupJobsFailed', 'The daily AWS Backup of the database failed',
        backupJobsMetric(props.backupVault.backupVaultName, 'Failed'), 1, 1],
      // S28: SMS pumping shows as spend; SNS stops texting at the spend limit, this warns before.
      ['SmsSpend', `SMS spend this month reached USD ${thresholds.smsSpendUsd} (limit USD ${config.notifications.smsMonthlySpendLimitUsd})`,
        SMS_SPEND_METRIC, thresholds.smsSpendUsd, 1],
    ];
    const alarms = new Map<string, cloudwatch.Alarm>();
    for (const [name, description, metric, threshold, periods] of definitions) {
      const alarm = new cloudwatch.Alarm(this, name, {
        alarmName: `nemt-${config.name}-${name}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new actions.SnsAction(this.operationsTopic));
      alarm.addOkAction(new actions.SnsAction(this.operationsTopic));
      alarms.set(name, alarm);
    }
    this.alarms = alarms;

    const acu = new cloudwatch.Metric({
      namespace: 'AWS/RDS',
      metricName: 'ServerlessDatabaseCapacity',
      dimensionsMap: { DBClusterIdentifier: props.cluster.clusterIdentifier },
      statistic: 'Average',
      period: FIVE_MINUTES,
    });
    new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `nemt-${config.name}`,
      defaultInterval: Duration.hours(6),
      widgets: [
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...alarms.values()], width: 24 })],
        [
          new cloudwatch.GraphWidget({
            title: 'API requests and errors',
            left: [props.api.metricCount({ period: FIVE_MINUTES }), props.api.metricClientError({ period: FIVE_MINUTES }),
              props.api.metricServerError({ period: FIVE_MINUTES })],
            width: 8,
          }),
          new cloudwatch.GraphWidget({
            title: 'API latency p95',
            left: [props.api.metricLatency({ period: FIVE_MINUTES, statistic: 'p95' }),
              props.api.metricIntegrationLatency({ period: FIVE_MINUTES, statistic: 'p95' })],
            width: 8,
          }),
          new cloudwatch.GraphWidget({ title: 'Authorization failures', left: [props.authorizationFailures], width: 8 }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Notifications',
            left: [props.queue.metricNumberOfMessagesSent({ period: FIVE_MINUTES }),
              props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES })],
            right: [props.notifier.metricErrors({ period: FIVE_MINUTES })],
            width: 8,
          }),
          new cloudwatch.GraphWidget({ title: 'Database capacity (ACU)', left: [acu], width: 8 }),
          new cloudwatch.GraphWidget({ title: 'Proxy pinned connections', left: [pinned], width: 8 }),
        ],
      ],
    });
  }
}
