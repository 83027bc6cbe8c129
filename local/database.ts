import pg from 'pg';

/** The login users of schema/0007; in AWS they sign in with IAM tokens and have no password. */
export const LOGIN_USERS = {
  api: 'nemt_api_user',
  intake: 'nemt_intake_user',
  notifier: 'nemt_notifier_user',
  auditor: 'nemt_auditor_user',
  materialiser: 'nemt_materialiser_user',
} as const;
export type LoginName = keyof typeof LOGIN_USERS;

export async function withAdmin<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Gives the login users a development password, so the local stack and tests can connect as them. */
export async function setLoginPasswords(adminUrl: string, password: string): Promise<void> {
  await withAdmin(adminUrl, async (client) => {
    for (const user of Object.values(LOGIN_USERS)) {
      await client.query(`ALTER ROLE ${pg.escapeIdentifier(user)} PASSWORD ${pg.escapeLiteral(password)}`);
    }
  });
}

/** The same server's URL for another database and, optionally, another user and password. */
export function databaseUrl(serverUrl: string, database: string, login?: { user: string; password: string }): string {
  const parsed = new URL(serverUrl);
  parsed.pathname = `/${database}`;
  if (login) {
    parsed.username = login.user;
    parsed.password = login.password;
  }
  return parsed.toString();
}
