/**
 * `/config.json`, served beside the console: where to sign in and whose console this is. One
 * shape for its three parties — the CDK edge writes it to S3, the local stack serves it, the
 * console reads it first — so none of them can drift. No imports, like security-headers.ts.
 */
export const CONSOLE_CONFIG_KEYS = [
  'authority', 'clientId', 'scope', 'signOutEndpoint', 'revocationEndpoint', 'providerName', 'timeZone',
] as const;

export type ConsoleConfig = { readonly [Key in (typeof CONSOLE_CONFIG_KEYS)[number]]: string };
