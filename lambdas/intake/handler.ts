import { piiCryptoFromEnvironment } from '../shared/crypto/from-environment';
import { databaseFromEnvironment, required } from '../shared/db/rds-proxy';
import { createIntakeHandler } from './app';
import { intakeSettingsFromEnvironment } from './settings';

/**
 * The intake Lambda entry. Built once per container at module scope: a connection pool through
 * RDS Proxy as `nemt_intake_user` (DB_USER), authenticated with an IAM token from
 * @aws-sdk/rds-signer per new connection, over verified TLS. That login can only execute the
 * intake function, so nothing else in this Lambda could read or change data even if it tried.
 */
const INTAKE_LOGIN = 'nemt_intake_user';

// A public, unauthenticated entry must never run with a broader login by misconfiguration.
if (required(process.env, 'DB_USER') !== INTAKE_LOGIN) {
  throw new Error(`the intake must connect as ${INTAKE_LOGIN}`);
}

export const handler = createIntakeHandler({
  db: databaseFromEnvironment(process.env),
  pii: piiCryptoFromEnvironment(process.env),
  settings: intakeSettingsFromEnvironment(process.env),
});
