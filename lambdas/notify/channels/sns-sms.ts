import { CheckIfPhoneNumberIsOptedOutCommand, type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { errorName, permanentFailure, type SmsChannel, transientFailure, transientSdkFailure } from './port';
import { logger } from '../../shared/log';

export interface SnsSmsSettings {
  /** Alphanumeric sender id, where the destination country supports one. */
  readonly senderId?: string;
  /** A number or short code the account owns (AWS End User Messaging), sent as the origination identity. */
  readonly originationNumber?: string;
  /**
   * Ask SNS whether the number replied STOP before publishing. Publishing to an opted-out number
   * is accepted and then silently dropped, so without this check the rider's opt-out would never
   * reach our records.
   */
  readonly checkOptOut?: boolean;
}

/**
 * SMS through SNS Publish to a phone number, always as Transactional (receipts about a ride,
 * delivered with priority and not subject to promotional quiet hours).
 */
export function createSnsSmsChannel(client: SNSClient, settings: SnsSmsSettings = {}): SmsChannel {
  const attributes: Record<string, MessageAttributeValue> = {
    'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
    ...(settings.senderId ? { 'AWS.SNS.SMS.SenderID': { DataType: 'String', StringValue: settings.senderId } } : {}),
    ...(settings.originationNumber
      ? { 'AWS.MM.SMS.OriginationNumber': { DataType: 'String', StringValue: settings.originationNumber } }
      : {}),
  };
  const checkOptOut = settings.checkOptOut ?? true;

  return {
    async sendSms(message) {
      try {
        if (checkOptOut) {
          const status = await client.send(new CheckIfPhoneNumberIsOptedOutCommand({ phoneNumber: message.to }));
          if (status?.isOptedOut === true) return permanentFailure('sms_opted_out');
        }
        const result = await client.send(new PublishCommand({
          PhoneNumber: message.to,
          Message: message.body,
          MessageAttributes: attributes,
        }));
        if (!result?.MessageId) return transientFailure('unknown');
        return { ok: true, messageId: result.MessageId };
      } catch (error) {
        const name = errorName(error);
        logger.warn('sms send failed', { errorName: name });
        if (name === 'OptedOutException' || /optedout/i.test(name)) return permanentFailure('sms_opted_out');
        if (/^InvalidParameter/.test(name)) return permanentFailure('invalid_phone_number');
        if (/^(AuthorizationError|KMSAccessDenied|KMSDisabled|KMSNotFound|KMSInvalidState|KMSOptInRequired)/.test(name)) {
          return transientFailure('provider_configuration');
        }
        return transientSdkFailure(error);
      }
    },
  };
}
