/**
 * A Kysely query built and compiled once per database, run with each call's values. The grant path runs the same few
 * statements on every request; building one (immutable builder nodes) and compiling it (a visitor pass over them) is
 * the same work each time, so it is done once and only the values change. The query is still written with the typed
 * builder; `slot(name)` marks where a call's value goes. Only for fixed-shape statements: a query whose shape
 * depends on the values (an optional where, a list of varying length) is written inline as usual.
 */
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database, Tx } from '../db/schema';

/** Marks a slot in a parameter list (never a real value: it starts with a NUL). */
const SLOT = '\u0000slot:';

interface Compiled<V, R> {
  query: CompiledQuery<R>;
  /** For each parameter: the slot it is filled from, or null for a constant compiled into the query. */
  slots: (keyof V | null)[];
}

/**
 * `build` writes the query; `slot(name)` stands for `values[name]` (typed `never`, so it fits any column). Compiled
 * once per database (its SQL dialect), then each call binds its values: `V` is their type (a table's row type for an
 * insert of whole rows), `R` the rows it returns.
 */
export function prepared<V extends object, R>(
  build: (db: Kysely<Database>, slot: (name: keyof V & string) => never) => Compilable<R>,
): (db: Tx, values: V) => Promise<QueryResult<R>> {
  const byDialect = new WeakMap<object, Compiled<V, R>>();
  const compile = (db: Tx): Compiled<V, R> => {
    const query = build(db, (name) => `${SLOT}${name}` as never).compile();
    const slots = query.parameters.map((p) =>
      typeof p === 'string' && p.startsWith(SLOT) ? (p.slice(SLOT.length) as keyof V) : null,
    );
    return { query, slots };
  };
  return (db, values) => {
    // A transaction shares its database's adapter, so both find the same compiled query.
    const adapter = db.getExecutor().adapter;
    let compiled = byDialect.get(adapter);
    if (!compiled) {
      compiled = compile(db);
      byDialect.set(adapter, compiled);
    }
    const { query, slots } = compiled;
    const parameters = query.parameters.map((p, i) => {
      const slot = slots[i];
      return slot === null || slot === undefined ? p : values[slot];
    });
    return db.executeQuery({ ...query, parameters });
  };
}
