/** The embedded PostgreSQL lives with the local stack, which runs it too; tests reuse it. */
export { freePort, type RunningPostgres, startEmbeddedPostgres } from '../../local/postgres-server';
