/**
 * /config.json, served beside the console (written to S3 by CDK, served by the local stack):
 * where to sign in and whose console this is. Read first, before anything else happens.
 */
export interface ConsoleConfig {
  authority: string;
  clientId: string;
  scope: string;
  signOutEndpoint: string;
  revocationEndpoint: string;
  providerName: string;
  timeZone: string;
}

const KEYS: (keyof ConsoleConfig)[] = [
  'authority', 'clientId', 'scope', 'signOutEndpoint', 'revocationEndpoint', 'providerName', 'timeZone',
];

export class ConfigUnavailable extends Error {
  override name = 'ConfigUnavailable';
}

export async function loadConfig(): Promise<ConsoleConfig> {
  let response: Response;
  try {
    response = await fetch('/config.json', { cache: 'no-store', headers: { Accept: 'application/json' } });
  } catch {
    throw new ConfigUnavailable('The settings file could not be reached.');
  }
  if (!response.ok) throw new ConfigUnavailable(`The settings file is missing (${response.status}).`);
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ConfigUnavailable('The settings file is not valid.');
  }
  const record = body as Record<string, unknown>;
  const missing = KEYS.filter((key) => typeof record?.[key] !== 'string' || record[key] === '');
  if (missing.length > 0) throw new ConfigUnavailable(`The settings file lacks ${missing.join(', ')}.`);
  return Object.fromEntries(KEYS.map((key) => [key, record[key]])) as unknown as ConsoleConfig;
}
