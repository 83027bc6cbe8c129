/**
 * Whole-number settings read from a function's environment: unset means the default; anything
 * else outside [min, max] throws, so a bad value fails the cold start rather than a request.
 */
export function integerSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`invalid configuration: ${name} must be ${min}..${max}`);
  return value;
}

/** PICKUP_WINDOW_MINUTES: the pickup window riders are told about, read alike by the API and the reminders. */
export function pickupWindowMinutesFrom(env: NodeJS.ProcessEnv): number {
  return integerSetting(env, 'PICKUP_WINDOW_MINUTES', 30, 1, 240);
}

/** Days of trips a standing order's series has ahead of today (STANDING_ORDER_HORIZON_DAYS). */
export const DEFAULT_HORIZON_DAYS = 14;

/** STANDING_ORDER_HORIZON_DAYS, read alike by the API and the scheduled materialiser. */
export function horizonDaysFrom(env: NodeJS.ProcessEnv): number {
  return integerSetting(env, 'STANDING_ORDER_HORIZON_DAYS', DEFAULT_HORIZON_DAYS, 1, 120);
}
