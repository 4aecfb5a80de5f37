/**
 * DATABASE_URL, classified before anything is opened: a postgres:// URL (PostgreSQL), a SQLite file, or refused with
 * a reason that never repeats the value (it may hold a password). Read by config.ts. You probably don't need to edit it.
 */

/** What a DATABASE_URL value names, or why it is refused (the reason never repeats the value: it may hold a password). */
export type DatabaseUrlClass =
  | { kind: 'postgres'; url: string }
  | { kind: 'sqlite'; path: string }
  | { kind: 'refused'; reason: string };

const postgresShape = 'a postgres://user:password@host:5432/dbname URL';

/**
 * DATABASE_URL → PostgreSQL, a SQLite file, or refused. Fail closed: anything that looks like it meant PostgreSQL
 * (a libpq `key=value` string, `postgres:/x`, `postgres//x`, `jdbc:postgresql://…`, any other scheme) is refused,
 * never taken as a SQLite path (that ran production on a new empty file). A SQLite file is `file:…` or a plain path.
 */
export function classifyDatabaseUrl(raw: string): DatabaseUrlClass {
  const value = raw.trim();
  if (/^postgres(ql)?:\/\//i.test(value)) {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      return { kind: 'refused', reason: `not a well-formed URL: use ${postgresShape}` };
    }
    if (!parsed.hostname && !parsed.searchParams.get('host')) {
      return { kind: 'refused', reason: `names no host: use ${postgresShape}` };
    }
    if (parsed.pathname.length > 1 && !/^\/[^/]+$/.test(parsed.pathname)) {
      return { kind: 'refused', reason: `the path must be one database name: use ${postgresShape}` };
    }
    return { kind: 'postgres', url: value };
  }
  if (/^file:/i.test(value)) return { kind: 'sqlite', path: value };
  if (/postgres|jdbc:/i.test(value)) {
    return { kind: 'refused', reason: `looks like PostgreSQL but is not ${postgresShape}` };
  }
  if (/(^|\s)[a-z_]+\s*=/i.test(value)) {
    return {
      kind: 'refused',
      reason: `a "key=value" connection string is not accepted: use ${postgresShape} (or a SQLite file path)`,
    };
  }
  // `scheme:` of two letters or more (a single letter is a Windows drive, C:\…).
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(value);
  if (scheme) {
    return {
      kind: 'refused',
      reason: `"${scheme[1]}:" is not supported: use ${postgresShape} or a SQLite file path`,
    };
  }
  return { kind: 'sqlite', path: value };
}

/** `host:port/dbname` of a postgres:// URL, without the user or password (for logs). */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host || parsed.searchParams.get('host') || 'localhost'}${parsed.pathname}`;
  } catch {
    return 'unparsable URL';
  }
}
