import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createLocalIssuer, type LocalIssuer } from './issuer';

/**
 * The local issuer with its key kept in the data folder, so tokens printed at one start still
 * verify after a restart. Readable by the owner only; `--fresh` deletes it with the data.
 */
export function persistentIssuer(keyFile: string, issuer: string): { issuer: LocalIssuer; created: boolean } {
  if (existsSync(keyFile)) {
    return { issuer: createLocalIssuer({ issuer, privateKeyPem: readFileSync(keyFile, 'utf8') }), created: false };
  }
  const fresh = createLocalIssuer({ issuer });
  writeFileSync(keyFile, fresh.privateKeyPem(), { encoding: 'utf8', mode: 0o600, flag: 'wx' });
  return { issuer: fresh, created: true };
}

/** Only for a key that already exists: `npm run token` never creates one the stack does not know. */
export function existingIssuer(keyFile: string, issuer: string): LocalIssuer | undefined {
  if (!existsSync(keyFile)) return undefined;
  return createLocalIssuer({ issuer, privateKeyPem: readFileSync(keyFile, 'utf8') });
}
