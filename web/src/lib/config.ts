import { CONSOLE_CONFIG_KEYS as KEYS, type ConsoleConfig } from '../../console-config';

/** /config.json (web/console-config.ts) is read first, before anything else happens. */
export type { ConsoleConfig };

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
