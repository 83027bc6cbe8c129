import { databaseFromEnvironment } from '../shared/db/rds-proxy';
import { createScheduledHandler, scheduledSettingsFromEnvironment } from './scheduled';

/**
 * The standing-orders Lambda entry, invoked by EventBridge with `{ "task": "materialise" }`
 * (nightly) or `{ "task": "remind" }` (hourly), as nemt_materialiser_user through RDS Proxy (IAM
 * token, TLS). Configuration is read once per container; a bad value fails the cold start.
 */
const env = process.env;

export const handler = createScheduledHandler({ db: databaseFromEnvironment(env), settings: scheduledSettingsFromEnvironment(env) });
