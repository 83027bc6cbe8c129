import { providerTimeZoneFrom } from '../shared/domain/time-zone';
import { createTokenVerifier } from '../shared/auth/verifier';
import { databaseFromEnvironment, required } from '../shared/db/rds-proxy';
import { maxOdometerJumpMilesFrom } from '../shared/domain/vehicles';
import { horizonDaysFrom, pickupWindowMinutesFrom } from '../shared/settings';
import type { ApiDependencies } from './handler-types';

/**
 * What every Lambda serving authenticated routes builds from its configuration, once per
 * container: the connection pool (RDS Proxy, IAM token, TLS), the token verifier with its key
 * cache, and the provider's settings. Each entry adds the ports only its routes need.
 */
export function sharedDependencies(env: NodeJS.ProcessEnv): Pick<ApiDependencies, 'db' | 'verifier' | 'settings'> {
  const region = required(env, 'AWS_REGION');
  const userPoolId = required(env, 'USER_POOL_ID');
  const timeZone = providerTimeZoneFrom(env);
  return {
    db: databaseFromEnvironment(env),
    verifier: createTokenVerifier({
      issuer: `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`,
      jwksUri: `https://cognito-idp.${region}.amazonaws.com/${userPoolId}/.well-known/jwks.json`,
      clientIds: required(env, 'APP_CLIENT_IDS').split(','),
      scope: required(env, 'API_SCOPE'),
      fetchKeysEarly: true,
    }),
    settings: {
      pickupWindowMinutes: pickupWindowMinutesFrom(env),
      providerName: env.PROVIDER_NAME ?? 'NEMT Dispatch',
      timeZone,
      maxOdometerJumpMiles: maxOdometerJumpMilesFrom(env),
      standingOrderHorizonDays: horizonDaysFrom(env),
    },
  };
}

/** A port this function must never use: its routes do not need it, and its role could not. */
export function notHere(what: string): never {
  throw new Error(`${what} is not available in this function`);
}
