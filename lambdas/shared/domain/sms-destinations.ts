/**
 * Where text messages may go (SECURITY S28, SMS pumping): numbers whose country calling code is
 * allowed by configuration, `SMS_ALLOWED_CALLING_CODES` (comma-separated, default `+1`). The
 * intake refuses an SMS receipt to any other number, and the notifier refuses every SMS to one.
 */
export const DEFAULT_SMS_ALLOWED_CALLING_CODES: readonly string[] = ['+1'];

const CALLING_CODE = /^\+[1-9][0-9]{0,3}$/;

/** The allowed calling codes from the environment; unset or empty means the default. Throws on a malformed code. */
export function smsAllowedCallingCodesFrom(env: NodeJS.ProcessEnv = process.env): readonly string[] {
  const raw = env.SMS_ALLOWED_CALLING_CODES?.trim();
  if (!raw) return DEFAULT_SMS_ALLOWED_CALLING_CODES;
  const codes = raw.split(',').map((code) => code.trim()).filter((code) => code.length > 0);
  if (codes.length === 0 || codes.some((code) => !CALLING_CODE.test(code))) {
    throw new Error('invalid configuration: SMS_ALLOWED_CALLING_CODES');
  }
  return codes;
}

/** Whether an E.164 number starts with one of the allowed calling codes. */
export function smsDestinationAllowed(phone: string, allowed: readonly string[]): boolean {
  const normalised = phone.replace(/[\s().-]/g, '');
  return allowed.some((code) => normalised.startsWith(code));
}

/** "+1", "+1 or +44", "+1, +44 or +49": for a sentence. */
export function describeCallingCodes(allowed: readonly string[]): string {
  if (allowed.length <= 1) return allowed[0] ?? '';
  return `${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}`;
}
