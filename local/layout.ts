import { join, resolve } from 'node:path';

/**
 * Where the local stack keeps its state: one ignored folder (`.local/` in the project, or
 * NEMT_LOCAL_DIR), so `--fresh` knows exactly what to wipe and nothing leaks elsewhere.
 */
export interface LocalLayout {
  readonly root: string;
  /** The PostgreSQL cluster. */
  readonly postgresDir: string;
  readonly postgresLog: string;
  /** The local token issuer's RSA private key: development only, never copied anywhere else. */
  readonly issuerKey: string;
  /** The dev-only master key standing in for KMS (rider PII encryption); the data is unreadable without it. */
  readonly masterKey: string;
  /** Demo users, ports and the issuer of the last start, for `npm run token` and tests. */
  readonly manifest: string;
  /** SMS and email the notifier "sent", one JSON line each. */
  readonly notifications: string;
  /** Audit chain anchors, one file each, standing in for the Object Lock bucket. */
  readonly anchors: string;
}

export const PROJECT_ROOT = resolve(__dirname, '..');
export const SCHEMA_DIR = join(PROJECT_ROOT, 'schema');

export function localLayout(env: NodeJS.ProcessEnv = process.env): LocalLayout {
  const root = resolve(env.NEMT_LOCAL_DIR?.trim() || join(PROJECT_ROOT, '.local'));
  return {
    root,
    postgresDir: join(root, 'postgres'),
    postgresLog: join(root, 'postgres.log'),
    issuerKey: join(root, 'issuer-key.pem'),
    masterKey: join(root, 'pii-master-key'),
    manifest: join(root, 'stack.json'),
    notifications: join(root, 'notifications.jsonl'),
    anchors: join(root, 'audit-anchors'),
  };
}

/** The entries `--fresh` removes: only our own, so a mistaken NEMT_LOCAL_DIR cannot lose other files. */
export function ownedEntries(layout: LocalLayout): string[] {
  return [layout.postgresDir, layout.postgresLog, layout.issuerKey, layout.masterKey, layout.manifest, layout.notifications,
    layout.anchors];
}

export const DATABASE_NAME = 'nemt';
/** The superuser's and login users' password on this developer-only cluster (127.0.0.1 only). */
export const DEV_DB_PASSWORD = 'nemt-local-dev';
export const DEFAULT_PORT = 3000;
/** Printed tokens last a working day (Cognito allows access tokens of up to a day). */
export const TOKEN_TTL_SECONDS = 12 * 3600;

export function issuerFor(port: number): string {
  return `http://127.0.0.1:${port}`;
}
