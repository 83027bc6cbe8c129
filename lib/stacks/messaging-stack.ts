import { CfnOutput, Duration, Fn } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import type { ScheduledTask } from '../../lambdas/standing-orders/scheduled';
import { AppFunction, type AppFunctionProps } from '../constructs/app-function';
import { BaseStack, type BaseStackProps } from './base-stack';

export interface MessagingStackProps extends BaseStackProps {
  readonly vpc: ec2.IVpc;
  readonly lambdaSecurityGroup: ec2.ISecurityGroup;
  readonly dataKey: kms.IKey;
  readonly logsKey: kms.IKey;
  readonly piiKey: kms.IKey;
  readonly proxy: rds.IDatabaseProxy;
  readonly databaseName: string;
}

export const NOTIFIER_TIMEOUT = Duration.seconds(30);
/** AWS's guidance for SQS event sources: at least six times the function timeout. */
export const VISIBILITY_TO_TIMEOUT_RATIO = 6;
export const MAX_RECEIVE_COUNT = 5;
/** A nightly materialisation of 10,000 series takes two to three minutes (docs/performance.md, P10): about 3× room. */
export const STANDING_ORDERS_TIMEOUT = Duration.minutes(10);

/**
 * The UTC hour at which the provider's clock reads `localHour` in January, read from the runtime's
 * zone data (never a hand-written offset). Daylight saving moves the local time of a fixed UTC
 * schedule by an hour (02:00 becomes 03:00 in a northern summer): still the middle of the night.
 */
export function utcHourOfLocalNight(timeZone: string, localHour: number): number {
  const clock = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', hourCycle: 'h23' });
  for (let hour = 0; hour < 24; hour += 1) {
    if (Number(clock.format(new Date(Date.UTC(2030, 0, 15, hour)))) === localHour) return hour;
  }
  throw new Error(`no UTC hour is ${localHour}:00 in ${timeZone}`);
}
/** The construct id aws-cdk-lib gives AwsCustomResource's singleton provider function. */
const AWS_CUSTOM_RESOURCE_SINGLETON = 'AWS679f53fac002430cb0da5b7982bd2287';

/**
 * The notification pipeline (PRODUCT §6, S21): the API and intake put outbox ids on an encrypted
 * queue after commit; the notifier consumes batches with partial-batch failure and sends SMS
 * through SNS and email through SES; after five receives a message lands in the dead-letter
 * queue (alarmed). The relay sweeps outbox rows that never reached the queue, every minute.
 */
export class MessagingStack extends BaseStack {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly notifier: AppFunction;
  readonly relay: AppFunction;
  /** Materialises standing orders nightly and queues tomorrow's ride reminders hourly. */
  readonly standingOrders: AppFunction;
  readonly emailIdentity: ses.EmailIdentity;
  readonly smsSpendLimit: cr.AwsCustomResource;

  constructor(scope: Construct, id: string, props: MessagingStackProps) {
    super(scope, id, props);
    const { config } = this;
    const notifications = config.notifications;

    this.deadLetterQueue = new sqs.Queue(this, 'NotificationDeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.dataKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Notifications', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.dataKey,
      dataKeyReuse: Duration.minutes(15),
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      visibilityTimeout: Duration.seconds(NOTIFIER_TIMEOUT.toSeconds() * VISIBILITY_TO_TIMEOUT_RATIO),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });

    const configurationSet = new ses.ConfigurationSet(this, 'EmailConfiguration', {
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    this.emailIdentity = new ses.EmailIdentity(this, 'SenderIdentity', {
      identity: notifications.sesIdentity.includes('@')
        ? ses.Identity.email(notifications.sesIdentity)
        : ses.Identity.domain(notifications.sesIdentity),
      configurationSet,
    });

    if (!notifications.sesIdentity.includes('@')) {
      // Easy DKIM: publish these three CNAME records in the domain's DNS to verify it (README.md (Deploy)).
      this.emailIdentity.dkimRecords.forEach((record, index) => {
        new CfnOutput(this, `DkimRecord${index + 1}`, { value: Fn.join(' CNAME ', [record.name, record.value]) });
      });
    }

    const common = {
      vpc: props.vpc,
      securityGroup: props.lambdaSecurityGroup,
      encryptionKey: props.logsKey,
      logRetention: config.functions.logRetentionDays,
      removalPolicy: this.statefulRemovalPolicy,
    };
    this.notifier = new AppFunction(this, 'Notifier', {
      ...common,
      entry: 'lambdas/notify/handler.ts',
      description: 'Sends receipt-level SMS (SNS) and email (SES) for outbox messages from SQS',
      reservedConcurrency: config.functions.reservedConcurrency.notify,
      invocation: 'queue',
      timeout: NOTIFIER_TIMEOUT,
      unscopedActionsReason: 'SNS Publish to a phone number (SMS) and the opt-out check have no resource ARN to scope to.',
      environment: {
        POWERTOOLS_SERVICE_NAME: 'nemt-notify',
        SES_FROM_ADDRESS: notifications.fromAddress,
        PROVIDER_NAME: config.provider.name,
        PROVIDER_TIME_ZONE: config.provider.timeZone,
        SES_CONFIGURATION_SET: configurationSet.configurationSetName,
        SMS_TYPE: notifications.smsType,
        SMS_ALLOWED_CALLING_CODES: config.intake.smsAllowedCallingCodes.join(','),
        ...(notifications.smsSenderId ? { SMS_SENDER_ID: notifications.smsSenderId } : {}),
        ...(notifications.smsOriginationNumber ? { SMS_ORIGINATION_NUMBER: notifications.smsOriginationNumber } : {}),
      },
    });
    this.notifier.connectToDatabase(props.proxy, 'nemt_notifier_user', props.databaseName).encryptPiiWith(props.piiKey, 'decrypt-only');
    this.notifier.addEventSource(new SqsEventSource(this.queue, {
      batchSize: 10,
      maxBatchingWindow: Duration.seconds(1),
      reportBatchItemFailures: true,
      maxConcurrency: Math.max(2, config.functions.reservedConcurrency.notify),
    }));
    this.emailIdentity.grantSendEmail(this.notifier);
    this.notifier.addToRolePolicy(new iam.PolicyStatement({
      actions: ['ses:SendEmail', 'ses:SendRawEmail'],
      resources: [this.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: configurationSet.configurationSetName })],
    }));
    // Direct-to-phone SMS has no resource ARN to name.
    this.notifier.addToRolePolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: ['*'] }));
    this.notifier.addToRolePolicy(new iam.PolicyStatement({ actions: ['sns:CheckIfPhoneNumberIsOptedOut'], resources: ['*'] }));

    this.relay = new AppFunction(this, 'Relay', {
      ...common,
      entry: 'lambdas/relay/handler.ts',
      description: 'Sweeps outbox rows that never reached the queue and sends them',
      reservedConcurrency: config.functions.reservedConcurrency.relay,
      invocation: 'asynchronous',
      timeout: Duration.seconds(50),
      environment: { POWERTOOLS_SERVICE_NAME: 'nemt-relay' },
    });
    this.relay.connectToDatabase(props.proxy, 'nemt_notifier_user', props.databaseName).sendToQueue(this.queue);
    new events.Rule(this, 'RelaySchedule', {
      description: 'Runs the outbox relay',
      schedule: events.Schedule.rate(Duration.minutes(notifications.relayEveryMinutes)),
      // A run EventBridge cannot hand to Lambda lands in the relay's dead-letter queue (alarmed), with
      // the runs Lambda itself gave up on; a missed sweep is caught up by the next one.
      targets: [new targets.LambdaFunction(this.relay, { retryAttempts: 0, deadLetterQueue: this.relay.deadLetterQueue })],
    });

    this.standingOrders = this.createStandingOrdersFunction(common, props);
    this.smsSpendLimit = this.limitSmsSpend(props.logsKey);
    this.acknowledgeEndsOfTheLine();
  }

  /**
   * Two schedules, one function: materialisation once a night (the horizon moves a day per day, and
   * every edit materialises itself at once, so running it more often would only re-read every
   * series), and reminders every hour (the reminder hour is local, so it moves in UTC with daylight
   * saving, and a trip scheduled late in the evening still gets its reminder). Both runs are
   * idempotent; the rows they write reach riders through the outbox relay, so the function needs no
   * queue, only its own database login (nemt_materialiser_user) through the proxy.
   */
  private createStandingOrdersFunction(common: Omit<AppFunctionProps, 'entry' | 'description' | 'reservedConcurrency'
    | 'invocation'>, props: MessagingStackProps): AppFunction {
    const { config } = this;
    const fn = new AppFunction(this, 'StandingOrders', {
      ...common,
      entry: 'lambdas/standing-orders/handler.ts',
      description: 'Materialises standing orders for the horizon (nightly) and queues ride reminders (hourly)',
      reservedConcurrency: config.functions.reservedConcurrency.standingOrders,
      invocation: 'asynchronous',
      timeout: STANDING_ORDERS_TIMEOUT,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'nemt-standing-orders',
        PROVIDER_TIME_ZONE: config.provider.timeZone,
        PICKUP_WINDOW_MINUTES: String(config.provider.pickupWindowMinutes),
        RIDE_REMINDER_LOCAL_HOUR: String(config.notifications.rideReminderLocalHour),
        STANDING_ORDER_HORIZON_DAYS: String(config.standingOrders.horizonDays),
      },
    });
    fn.connectToDatabase(props.proxy, 'nemt_materialiser_user', props.databaseName);
    // A run EventBridge cannot hand to Lambda lands in the function's dead-letter queue (alarmed), with
    // the runs Lambda gave up on after its own retries; both tasks are idempotent, so a retry is safe.
    const target = (task: ScheduledTask) => new targets.LambdaFunction(fn, {
      event: events.RuleTargetInput.fromObject({ task }),
      retryAttempts: 2,
      deadLetterQueue: fn.deadLetterQueue,
    });
    new events.Rule(this, 'StandingOrdersNightly', {
      description: `Materialises standing orders (about ${config.notifications.nightlyLocalHour}:00 in ${config.provider.timeZone})`,
      schedule: events.Schedule.cron({ minute: '0', hour: String(utcHourOfLocalNight(config.provider.timeZone, config.notifications.nightlyLocalHour)) }),
      targets: [target('materialise')],
    });
    new events.Rule(this, 'RideRemindersHourly', {
      description: 'Queues tomorrow\'s ride reminders once the provider\'s reminder hour has come',
      schedule: events.Schedule.cron({ minute: '5' }),
      targets: [target('remind')],
    });
    return fn;
  }

  /** Where a failed notification ends up is itself the end: nothing redrives a dead-letter queue. */
  private acknowledgeEndsOfTheLine(): void {
    NagSuppressions.addResourceSuppressions(this.deadLetterQueue, [{
      id: 'Serverless-SQSRedrivePolicy',
      reason: 'This is the notification queue\'s dead-letter queue: messages rest here (alarmed, 14 days) until an '
        + 'operator redrives them to the notification queue (docs/operations.md); a redrive policy here would loop.',
    }]);
    const eventSource = this.notifier.node.children.find((child) => child.node.id.startsWith('SqsEventSource'));
    if (!eventSource) throw new Error('the notifier has no SQS event source');
    NagSuppressions.addResourceSuppressions(eventSource, [{
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason: 'Lambda offers on-failure destinations for stream and Kafka sources only; for an SQS source the '
        + 'queue\'s own redrive policy is the failure destination: after five receives a message moves to the '
        + 'alarmed dead-letter queue, and the outbox row stays pending.',
    }], true);
  }

  /**
   * SECURITY S28: the account's SNS monthly SMS spend limit, set on every deploy (an account-level
   * setting, so it is not undone when the stack is deleted). SNS stops sending texts for the rest
   * of the month once it is reached; the spend alarm (Observability) warns before.
   */
  private limitSmsSpend(logsKey: kms.IKey): cr.AwsCustomResource {
    const attributes = { MonthlySpendLimit: String(this.config.notifications.smsMonthlySpendLimitUsd) };
    const call: cr.AwsSdkCall = {
      service: 'SNS',
      action: 'setSMSAttributes',
      parameters: { attributes },
      physicalResourceId: cr.PhysicalResourceId.of(`nemt-${this.config.name}-sms-spend-limit`),
    };
    const limit = new cr.AwsCustomResource(this, 'SmsMonthlySpendLimit', {
      resourceType: 'Custom::SnsSmsSpendLimit',
      onCreate: call,
      onUpdate: call,
      installLatestAwsSdk: false,
      // One control-plane call per deploy: Lambda's smallest size, stated rather than defaulted.
      memorySize: 128,
      // SetSMSAttributes is an account-level call: it has no resource ARN to name.
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['sns:SetSMSAttributes'], resources: ['*'] }),
      ]),
      logGroup: new logs.LogGroup(this, 'SmsSpendLimitLogs', {
        encryptionKey: logsKey,
        retention: this.config.functions.logRetentionDays,
        removalPolicy: this.statefulRemovalPolicy,
      }),
    });
    NagSuppressions.addResourceSuppressions(limit, [{
      id: 'AwsSolutions-IAM5',
      reason: 'sns:SetSMSAttributes sets the account\'s SMS spend limit; it is an account-level action with no '
        + 'resource ARN to scope to, and it is the only action this custom resource may call.',
      appliesTo: ['Resource::*'],
    }, {
      id: 'HIPAA.Security-IAMNoInlinePolicy',
      reason: 'AwsCustomResource writes its one statement (sns:SetSMSAttributes) as an inline policy of the shared '
        + 'provider role; CDK offers no way to make it a managed policy.',
    }], true);
    this.suppressCustomResourceProvider();
    return limit;
  }

  private suppressCustomResourceProvider(): void {
    const provider = this.node.tryFindChild(AWS_CUSTOM_RESOURCE_SINGLETON);
    if (!provider) return;
    NagSuppressions.addResourceSuppressions(provider, [
      {
        id: 'AwsSolutions-IAM4',
        reason: 'CDK\'s AwsCustomResource provider runs with the AWS-managed AWSLambdaBasicExecutionRole (write its '
          + 'own logs); it runs only during cdk deploy.',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      },
      {
        id: 'HIPAA.Security-LambdaConcurrency',
        reason: 'CDK\'s AwsCustomResource provider runs only during cdk deploy, once per change of the SMS spend '
          + 'limit; reserved concurrency would only take capacity from the application.',
      },
      {
        id: 'HIPAA.Security-LambdaDLQ',
        reason: 'CDK\'s AwsCustomResource provider is invoked by CloudFormation, which fails the deploy on an error; '
          + 'there is no asynchronous retry to catch.',
      },
      {
        id: 'HIPAA.Security-LambdaInsideVPC',
        reason: 'CDK\'s AwsCustomResource provider calls only the SNS control plane during deploys and touches no '
          + 'data; it needs no network path into the VPC.',
      },
      {
        id: 'Serverless-LambdaDLQ',
        reason: 'CDK\'s AwsCustomResource provider is invoked by CloudFormation, which fails the deploy on an error; '
          + 'there is no asynchronous retry to catch.',
      },
      {
        id: 'Serverless-LambdaTracing',
        reason: 'CDK\'s AwsCustomResource provider makes one SNS control-plane call per deploy and offers no tracing '
          + 'setting; CloudFormation events and its own encrypted log group record each run.',
      },
    ], true);
  }
}
