/**
 * The database drivers beside the built-in SQLite, and the one place that imports them: PostgreSQL (postgres.ts, on
 * `pg`). A project scaffolded with `--no-postgres` has no postgres.ts and its own version of this file, whose
 * `openPostgres` refuses a postgres:// DATABASE_URL naming that option; nothing else differs.
 * You probably don't need to edit this file.
 */
export { openPostgres, type PostgresPoolOptions } from './postgres';
