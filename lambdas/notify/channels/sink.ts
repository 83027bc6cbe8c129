import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type ChannelResult, type EmailChannel, type SmsChannel, transientFailure } from './port';

export interface SinkSettings {
  /** JSON-lines file each message is appended to; omitted: console only. */
  readonly file?: string;
  /** Also print each line (default true). */
  readonly console?: boolean;
  /** Receives each line too (the local stack's UI or a test can follow along). */
  readonly onLine?: (line: string) => void;
}

export interface SinkChannels {
  readonly sms: SmsChannel;
  readonly email: EmailChannel;
}

/**
 * The local stand-in for SNS and SES: each message becomes one JSON line (channel, recipient,
 * exactly what the template rendered, a local message id), so a developer can see what a rider
 * would receive. Lines are appended in order, one write at a time.
 */
export function createSinkChannels(settings: SinkSettings = {}): SinkChannels {
  let writes: Promise<void> = settings.file ? mkdir(dirname(settings.file), { recursive: true }).then(() => undefined, () => undefined) : Promise.resolve();

  const record = async (entry: Record<string, string>): Promise<ChannelResult> => {
    const messageId = `local-${randomUUID()}`;
    const line = JSON.stringify({ at: new Date().toISOString(), messageId, ...entry });
    if (settings.file) {
      const file = settings.file;
      const write = writes.catch(() => undefined).then(() => appendFile(file, `${line}\n`, 'utf8'));
      writes = write;
      try {
        await write;
      } catch {
        return transientFailure('provider_unavailable');
      }
    }
    if (settings.console ?? true) console.log(line);
    settings.onLine?.(line);
    return { ok: true, messageId };
  };

  return {
    sms: { sendSms: (message) => record({ channel: 'sms', to: message.to, body: message.body }) },
    email: {
      sendEmail: (message) => record({ channel: 'email', to: message.to, subject: message.subject, text: message.text, html: message.html }),
    },
  };
}
