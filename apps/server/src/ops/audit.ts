/**
 * Who acted, and the one way to write it down: every operator change (console or CLI) writes one `audit_log` row with
 * `writeAudit`, inside the transaction of the change itself, so a change nobody signed can never commit.
 * The actor says what kind of identity it is (migration 006's `actor_kind`, `actor_id`, `os_user`):
 *  - `operator`: a signed-in console account (authenticated by password + session).
 *  - `cli`: the ops CLI, run by an OS user — as an operator account when `--as <name>` names an enabled one.
 *  - `system`: a caller that only gave a name (older scripts passing `operator: 'name'`).
 * You probably don't need to edit this file.
 */
import { randomUUID } from 'node:crypto';
import { isoAt } from '../clock';
import type { Db, Tx } from '../db/schema';

export type Actor =
  | { kind: 'operator'; id: string; name: string }
  | { kind: 'cli'; name: string; osUser: string; operatorId: string | null }
  | { kind: 'system'; name: string };

/** An action's caller: an authenticated `actor`, or (older callers) just a name, recorded as a `system` actor. */
export type ActorInput = { actor: Actor } | { operator: string };

export function actorOf(input: ActorInput): Actor {
  return 'actor' in input ? input.actor : { kind: 'system', name: input.operator };
}

/** How the actor reads in a log line or a table: `kim (console)`, `kim (cli as kim, os user lee)`, `lee (cli)`. */
export function describeActor(actor: Actor): string {
  if (actor.kind === 'operator') return `${actor.name} (console)`;
  if (actor.kind === 'cli')
    return actor.operatorId ? `${actor.name} (cli, os user ${actor.osUser})` : `${actor.name} (cli, os user)`;
  return `${actor.name} (unauthenticated)`;
}

export interface AuditEntry {
  action: string;
  orderId: string | null;
  userId: string | null;
  reason: string;
  detail: string;
  now: number;
}

/** Insert one audit row inside `trx` (the transaction of the change it records); returns its id. */
export async function writeAudit(trx: Tx, actor: Actor, entry: AuditEntry): Promise<string> {
  const id = randomUUID();
  await trx
    .insertInto('audit_log')
    .values({
      id,
      operator: actor.name,
      action: entry.action,
      order_id: entry.orderId,
      user_id: entry.userId,
      reason: entry.reason,
      detail: entry.detail,
      created_at: isoAt(entry.now),
      actor_kind: actor.kind,
      actor_id: actor.kind === 'operator' ? actor.id : actor.kind === 'cli' ? actor.operatorId : null,
      os_user: actor.kind === 'cli' ? actor.osUser : null,
    })
    .execute();
  return id;
}

/** Who last changed an order and when: its newest audit row, or (no operator touched it) the order's own update. */
export interface LastChange {
  /** The operator's name (audit row), or `system` when no operator moved it (a claim, sync, reconcile, refund). */
  by: string;
  actorKind: Actor['kind'] | null;
  action: string | null;
  at: string;
}

export async function lastChange(db: Db | Tx, orderId: string): Promise<LastChange | null> {
  const row = await db
    .selectFrom('audit_log')
    .select(['operator', 'actor_kind', 'action', 'created_at'])
    .where('order_id', '=', orderId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const order = await db
    .selectFrom('orders')
    .select('updated_at')
    .where('order_id', '=', orderId)
    .executeTakeFirst();
  if (row && (!order || row.created_at >= order.updated_at)) {
    return { by: row.operator, actorKind: row.actor_kind, action: row.action, at: row.created_at };
  }
  return order ? { by: 'system', actorKind: null, action: null, at: order.updated_at } : null;
}
