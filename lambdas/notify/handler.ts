import { piiCryptoFromEnvironment } from '../shared/crypto/from-environment';
import { databaseFromEnvironment, required } from '../shared/db/rds-proxy';
import { providerTimeZoneFrom } from '../shared/domain/time-zone';
import { smsAllowedCallingCodesFrom } from '../shared/domain/sms-destinations';
import { onFirstUse } from '../shared/on-first-use';
import { type EmailChannel, PROVIDER_CLIENT_CONFIG, type SmsChannel } from './channels/port';
import { createNotifyHandler } from './notifier';

/**
 * The notifier Lambda entry: SNS, SES and the database (as nemt_notifier_user through RDS Proxy
 * with an IAM token over TLS) built once per container, then the same handler the tests and the
 * local stack run. Configuration errors fail the cold start, not a message. Each channel's SDK
 * client loads with the first message it carries: a batch of texts never loads SES, and the
 * other way round (docs/performance.md, P1).
 */
const env = process.env;
const enRouteMaxAge = Number(env.DRIVER_EN_ROUTE_MAX_AGE_MINUTES || '60');
if (!Number.isFinite(enRouteMaxAge) || enRouteMaxAge <= 0) throw new Error('invalid configuration: DRIVER_EN_ROUTE_MAX_AGE_MINUTES');
const timeZone = providerTimeZoneFrom(env);

const smsSettings = {
  senderId: env.SMS_SENDER_ID || undefined,
  originationNumber: env.SMS_ORIGINATION_NUMBER || undefined,
  checkOptOut: env.SMS_CHECK_OPT_OUT !== 'false',
};
const emailSettings = {
  fromAddress: required(env, 'SES_FROM_ADDRESS'),
  configurationSetName: env.SES_CONFIGURATION_SET || undefined,
};
const sms = onFirstUse(async (): Promise<SmsChannel> => {
  const [{ newSnsClient }, { createSnsSmsChannel }] = await Promise.all([import('../shared/aws/sns-client'), import('./channels/sns-sms')]);
  return createSnsSmsChannel(newSnsClient(PROVIDER_CLIENT_CONFIG), smsSettings);
});
const email = onFirstUse(async (): Promise<EmailChannel> => {
  const [{ newSesClient }, { createSesEmailChannel }] = await Promise.all([import('../shared/aws/ses-client'), import('./channels/ses-email')]);
  return createSesEmailChannel(newSesClient(PROVIDER_CLIENT_CONFIG), emailSettings);
});

export const handler = createNotifyHandler({
  db: databaseFromEnvironment(env),
  // Decrypt only: the notifier opens tenant keys, it never creates one.
  pii: piiCryptoFromEnvironment(env),
  sms: { sendSms: async (message) => (await sms()).sendSms(message) },
  email: { sendEmail: async (message) => (await email()).sendEmail(message) },
  settings: {
    providerName: env.PROVIDER_NAME || 'NEMT Dispatch',
    timeZone,
    driverEnRouteMaxAgeMinutes: enRouteMaxAge,
    smsAllowedCallingCodes: smsAllowedCallingCodesFrom(env),
  },
});
