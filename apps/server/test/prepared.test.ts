/**
 * `prepared` (src/fulfillment/prepared.ts): one statement, compiled once per database in that database's SQL dialect
 * (SQLite `?`, PostgreSQL `$1`), then run with each call's values in their slots and its constants kept. Two recording
 * databases in one process, so a cache shared across databases, or none at all, fails here.
 */
import {
  type CompiledQuery,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { expect, test } from 'vitest';
import type { Database, OrdersTable } from '../src/db/schema';
import { prepared } from '../src/fulfillment/prepared';

/** A Kysely database of `dialect` that runs nothing and records every query it is asked to run. */
function recordingDatabase(dialect: 'sqlite' | 'postgres') {
  const ran: CompiledQuery[] = [];
  class RecordingDriver extends DummyDriver {
    override async acquireConnection() {
      return {
        executeQuery: async (query: CompiledQuery) => {
          ran.push(query);
          return { rows: [] };
        },
        streamQuery: () => {
          throw new Error('not used');
        },
      };
    }
  }
  const db = new Kysely<Database>({
    dialect: {
      createDriver: () => new RecordingDriver(),
      ...(dialect === 'postgres'
        ? {
            createAdapter: () => new PostgresAdapter(),
            createQueryCompiler: () => new PostgresQueryCompiler(),
            createIntrospector: (kysely) => new PostgresIntrospector(kysely),
          }
        : {
            createAdapter: () => new SqliteAdapter(),
            createQueryCompiler: () => new SqliteQueryCompiler(),
            createIntrospector: (kysely) => new SqliteIntrospector(kysely),
          }),
    },
  });
  return { db, ran };
}

test('compiles once per database, in its dialect, and binds each call its own values beside the constants', async () => {
  let built = 0;
  const heldOrder = prepared<{ orderId: string; userId: string }, OrdersTable>((db, slot) => {
    built += 1;
    return db
      .selectFrom('orders')
      .selectAll()
      .where('order_id', '=', slot('orderId'))
      .where('state', '=', 'HELD')
      .where('user_id', '=', slot('userId'));
  });
  const sqlite = recordingDatabase('sqlite');
  const postgres = recordingDatabase('postgres');

  await heldOrder(sqlite.db, { orderId: 'o-1', userId: 'u-1' });
  await heldOrder(postgres.db, { orderId: 'o-2', userId: 'u-2' });
  // A transaction is the same database: it reuses that database's compiled statement.
  await sqlite.db.transaction().execute((trx) => heldOrder(trx, { orderId: 'o-3', userId: 'u-3' }));
  await heldOrder(postgres.db, { orderId: 'o-4', userId: 'u-4' });

  expect(built).toBe(2);
  const shown = (ran: CompiledQuery[]) =>
    ran.filter((q) => q.sql.startsWith('select')).map((q) => [q.sql, q.parameters]);
  expect(shown(sqlite.ran)).toEqual([
    ['select * from "orders" where "order_id" = ? and "state" = ? and "user_id" = ?', ['o-1', 'HELD', 'u-1']],
    ['select * from "orders" where "order_id" = ? and "state" = ? and "user_id" = ?', ['o-3', 'HELD', 'u-3']],
  ]);
  expect(shown(postgres.ran)).toEqual([
    [
      'select * from "orders" where "order_id" = $1 and "state" = $2 and "user_id" = $3',
      ['o-2', 'HELD', 'u-2'],
    ],
    [
      'select * from "orders" where "order_id" = $1 and "state" = $2 and "user_id" = $3',
      ['o-4', 'HELD', 'u-4'],
    ],
  ]);
});
