import { randomUUID } from 'node:crypto';
import type { JobDefinition, JobQueue } from '@trustplane/kernel';
import { type EventsExecutor, eventsTables } from '../db/events-executor.js';
import type { EventsDatabase } from '../db/events-tables.js';
import type { EventRepository } from '../db/event-repository.js';
import { checkEventData, type EventData, type EventType, isEventType } from './catalogue.js';

export interface EventPublisherDeps {
  events: EventRepository;
  jobs: JobQueue;
  fanOutJob: () => JobDefinition<{ eventId: string }>;
}

/**
 * The one way an event leaves backlex: `publish(trx, orgId, 'member.joined', data)` in the
 * transaction of the mutation that causes it. The event row (the outbox) and its fan-out job
 * exist iff that transaction commits; the job then hands the event to the org's webhooks,
 * integrations and notifications.
 */
export function createEventPublisher(deps: EventPublisherDeps) {
  return {
    async publish<T extends EventType, DB extends EventsDatabase>(
      transaction: EventsExecutor<DB>,
      orgId: string,
      type: T,
      data: EventData<T>,
    ): Promise<string> {
      if (!transaction.isTransaction) {
        throw new Error('publish an event in the transaction of the change that causes it');
      }
      if (!isEventType(type)) throw new Error(`${String(type)} is not in the event catalogue`);
      const checked = checkEventData(type, data);
      const id = randomUUID();
      await deps.events.insert(transaction, { id, org_id: orgId, type, data: checked });
      await deps.jobs.send(deps.fanOutJob(), { eventId: id }, { transaction: eventsTables(transaction) });
      return id;
    },
  };
}

export type EventPublisher = ReturnType<typeof createEventPublisher>;

/**
 * The identity area's `outbox.record(trx, { organizationId, type, payload })`, publishing through
 * the catalogue (one outbox for the service: the `events` table and its fan-out job).
 */
export function outboxAdapter(publisher: EventPublisher) {
  return {
    record<DB extends EventsDatabase>(
      transaction: EventsExecutor<DB>,
      event: { organizationId: string; type: string; payload: Record<string, unknown> },
    ): Promise<string> {
      return publisher.publish(
        transaction,
        event.organizationId,
        event.type as EventType,
        event.payload as never,
      );
    },
  };
}

/** What the identity side's mutations record their events through (orgs, members). */
export type EventOutbox = ReturnType<typeof outboxAdapter>;
