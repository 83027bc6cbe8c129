/**
 * Where a rendered message goes. The notifier chooses implementations at the edge: SNS and SES
 * on AWS, a local sink on a developer's machine. A channel never throws for a delivery problem;
 * it classifies it, because the notifier treats the two kinds of failure differently:
 * permanent ones are recorded and never retried, transient ones are retried by the queue.
 */
export type ChannelResult =
  | { readonly ok: true; readonly messageId: string }
  | { readonly ok: false; readonly permanent: boolean; readonly reason: ChannelFailureReason };

export type ChannelFailureReason =
  | 'invalid_phone_number'
  | 'sms_opted_out'
  | 'email_rejected'
  | 'invalid_email_address'
  | 'throttled'
  | 'provider_unavailable'
  | 'provider_configuration'
  | 'network'
  | 'unknown';

export interface SmsMessage {
  /** E.164. */
  readonly to: string;
  readonly body: string;
}

export interface EmailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface SmsChannel {
  sendSms(message: SmsMessage): Promise<ChannelResult>;
}

export interface EmailChannel {
  sendEmail(message: EmailMessage): Promise<ChannelResult>;
}

export function permanentFailure(reason: ChannelFailureReason): ChannelResult {
  return { ok: false, permanent: true, reason };
}

export function transientFailure(reason: ChannelFailureReason): ChannelResult {
  return { ok: false, permanent: false, reason };
}

/**
 * How long one provider call may take, for the SNS and SES clients of the notifier Lambda. A
 * batch's outcomes are recorded together once its sends are done, so one call that hung would
 * keep every message of the batch that already left unrecorded until the function timed out, and
 * the redelivery would send them all again. Bounded, the window stays seconds: two attempts of at
 * most 5 s each, well inside the function's 30 s. A call that times out is transient (`network`).
 */
export const PROVIDER_CLIENT_CONFIG = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000, throwOnRequestTimeout: true },
};

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH']);

interface SdkErrorShape {
  name?: string;
  code?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Transient causes shared by every AWS client: throttling, 5xx and network trouble. Anything
 * unrecognised is treated as transient too: a retry costs little, and after five receives the
 * message lands in the dead-letter queue where an operator sees it, whereas a wrong "permanent"
 * would silently drop a notification.
 */
export function transientSdkFailure(error: unknown): ChannelResult {
  const shape = (error ?? {}) as SdkErrorShape;
  const name = shape.name ?? '';
  if (/throttl|toomanyrequests|limitexceeded|slowdown/i.test(name)) return transientFailure('throttled');
  if (NETWORK_CODES.has(shape.code ?? '') || /timeout|networking|socket/i.test(name)) return transientFailure('network');
  if ((shape.$metadata?.httpStatusCode ?? 0) >= 500 || /internal|unavailable/i.test(name)) {
    return transientFailure('provider_unavailable');
  }
  return transientFailure('unknown');
}

export function errorName(error: unknown): string {
  return String((error as SdkErrorShape | undefined)?.name ?? 'Error').slice(0, 80);
}
