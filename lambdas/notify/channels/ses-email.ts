import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { logger } from '../../shared/log';
import { type EmailChannel, errorName, permanentFailure, transientFailure, transientSdkFailure } from './port';

export interface SesEmailSettings {
  readonly fromAddress: string;
  readonly configurationSetName?: string;
}

/** Email through SES v2 SendEmail: a simple message with a plain-text and an HTML part. */
export function createSesEmailChannel(client: SESv2Client, settings: SesEmailSettings): EmailChannel {
  return {
    async sendEmail(message) {
      try {
        const result = await client.send(new SendEmailCommand({
          FromEmailAddress: settings.fromAddress,
          Destination: { ToAddresses: [message.to] },
          Content: {
            Simple: {
              Subject: { Data: message.subject, Charset: 'UTF-8' },
              Body: {
                Text: { Data: message.text, Charset: 'UTF-8' },
                Html: { Data: message.html, Charset: 'UTF-8' },
              },
            },
          },
          ...(settings.configurationSetName ? { ConfigurationSetName: settings.configurationSetName } : {}),
        }));
        if (!result?.MessageId) return transientFailure('unknown');
        return { ok: true, messageId: result.MessageId };
      } catch (error) {
        const name = errorName(error);
        logger.warn('email send failed', { errorName: name });
        if (name === 'MessageRejected') return permanentFailure('email_rejected');
        if (name === 'BadRequestException') return permanentFailure('invalid_email_address');
        // The account or sender needs an operator; retrying (and the DLQ alarm) keeps the message.
        if (/^(AccountSuspended|SendingPaused|MailFromDomainNotVerified|NotFound)/.test(name)) {
          return transientFailure('provider_configuration');
        }
        return transientSdkFailure(error);
      }
    },
  };
}
