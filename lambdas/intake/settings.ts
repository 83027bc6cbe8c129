import { smsAllowedCallingCodesFrom, DEFAULT_SMS_ALLOWED_CALLING_CODES } from '../shared/domain/sms-destinations';
import { DEFAULT_CHALLENGE_MAX_NUMBER } from './challenge';

/** The intake's abuse controls (SECURITY S28); every one has a default, none is a secret. */
export interface IntakeSettings {
  /** SMS receipts only to these country calling codes (SMS_ALLOWED_CALLING_CODES, default `+1`). */
  readonly smsAllowedCallingCodes: readonly string[];
  /** Receipts one destination gets a day at most (INTAKE_RECEIPTS_PER_DESTINATION_PER_DAY, default 3). */
  readonly receiptsPerDestinationPerDay: number;
  /** The proof of work's search space; ~100 000 is about a second on a phone (tests use less). */
  readonly challengeMaxNumber: number;
}

export const DEFAULT_INTAKE_SETTINGS: IntakeSettings = {
  smsAllowedCallingCodes: DEFAULT_SMS_ALLOWED_CALLING_CODES,
  receiptsPerDestinationPerDay: 3,
  challengeMaxNumber: DEFAULT_CHALLENGE_MAX_NUMBER,
};

/** Read once per container; a malformed value fails the cold start, not a request. */
export function intakeSettingsFromEnvironment(env: NodeJS.ProcessEnv = process.env): IntakeSettings {
  const perDay = Number(env.INTAKE_RECEIPTS_PER_DESTINATION_PER_DAY || DEFAULT_INTAKE_SETTINGS.receiptsPerDestinationPerDay);
  if (!Number.isSafeInteger(perDay) || perDay < 0 || perDay > 1000) {
    throw new Error('invalid configuration: INTAKE_RECEIPTS_PER_DESTINATION_PER_DAY');
  }
  return { ...DEFAULT_INTAKE_SETTINGS, smsAllowedCallingCodes: smsAllowedCallingCodesFrom(env), receiptsPerDestinationPerDay: perDay };
}
