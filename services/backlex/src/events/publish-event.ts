import { randomUUID } from 'node:crypto';
import type { JobDefinition, JobQueue } from '@trustplane/kernel';
import type { EventsExecutor } from '../db/events-executor.js';
import type { EventsDatabase } from '../db/events-tables.js';
import type { EventRepository } from '../db/event-repository.js';
import { checkEventData, type EventData, type EventType } from './catalogue.js';

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
      const checked = checkEventData(type, data);
      const id = randomUUID();
      await deps.events.insert(transaction, { id, org_id: orgId, type, data: checked });
      await deps.jobs.send(deps.fanOutJob(), { eventId: id }, { transaction });
      return id;
    },
  };
}

export type EventPublisher = ReturnType<typeof createEventPublisher>;
