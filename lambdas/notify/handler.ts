import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { piiCryptoFromEnvironment } from '../shared/crypto/from-environment';
import { databaseFromEnvironment, required } from '../shared/db/rds-proxy';
import { PROVIDER_CLIENT_CONFIG } from './channels/port';
import { createSesEmailChannel } from './channels/ses-email';
import { createSnsSmsChannel } from './channels/sns-sms';
import { createNotifyHandler } from './notifier';
import { assertTimeZone, DEFAULT_TIME_ZONE } from '../shared/domain/time-zone';
import { smsAllowedCallingCodesFrom } from '../shared/domain/sms-destinations';
import { LAMBDA_CLIENT_CONFIG } from '../shared/aws/lambda-credentials';

/**
 * The notifier Lambda entry: SNS, SES and the database (as nemt_notifier_user through RDS Proxy
 * with an IAM token over TLS) built once per container, then the same handler the tests and the
 * local stack run. Configuration errors fail the cold start, not a message.
 */
const env = process.env;
const enRouteMaxAge = Number(env.DRIVER_EN_ROUTE_MAX_AGE_MINUTES || '60');
if (!Number.isFinite(enRouteMaxAge) || enRouteMaxAge <= 0) throw new Error('invalid configuration: DRIVER_EN_ROUTE_MAX_AGE_MINUTES');
const timeZone = env.PROVIDER_TIME_ZONE || DEFAULT_TIME_ZONE;
assertTimeZone(timeZone);

export const handler = createNotifyHandler({
  db: databaseFromEnvironment(env),
  // Decrypt only: the notifier opens tenant keys, it never creates one.
  pii: piiCryptoFromEnvironment(env),
  sms: createSnsSmsChannel(new SNSClient({ ...LAMBDA_CLIENT_CONFIG, ...PROVIDER_CLIENT_CONFIG }), {
    senderId: env.SMS_SENDER_ID || undefined,
    originationNumber: env.SMS_ORIGINATION_NUMBER || undefined,
    checkOptOut: env.SMS_CHECK_OPT_OUT !== 'false',
  }),
  email: createSesEmailChannel(new SESv2Client({ ...LAMBDA_CLIENT_CONFIG, ...PROVIDER_CLIENT_CONFIG }), {
    fromAddress: required(env, 'SES_FROM_ADDRESS'),
    configurationSetName: env.SES_CONFIGURATION_SET || undefined,
  }),
  settings: {
    providerName: env.PROVIDER_NAME || 'NEMT Dispatch',
    timeZone,
    driverEnRouteMaxAgeMinutes: enRouteMaxAge,
    smsAllowedCallingCodes: smsAllowedCallingCodesFrom(env),
  },
});
