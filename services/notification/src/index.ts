import { defineService, perContext, type ServiceContext, type ServiceDefinition } from '@trustplane/kernel';
import { isNotificationError } from './domain/errors.js';
import { startGrpcServer } from './grpc/grpc-server.js';
import { buildNotificationApp } from './http/app.js';
import { createNotificationRuntime, type NotificationRuntime } from './service.js';

export const notificationRuntime: (context: ServiceContext) => NotificationRuntime =
  perContext(createNotificationRuntime);

function requireId(options: Record<string, string | boolean | undefined>, all: boolean): string | undefined {
  const id = typeof options.id === 'string' ? options.id : undefined;
  if (!id && !all) throw new UsageError('give --id <dlq_…> or --all');
  return id;
}

/** The CLI prints a UsageError's message alone (no stack) and exits 2. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Catalogue errors (not found, already replayed) are the operator's to fix: no stack. */
async function asUsage<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isNotificationError(error)) throw new UsageError(error.message);
    throw error;
  }
}

export const notificationService: ServiceDefinition = defineService(new URL('..', import.meta.url), {
  name: 'notification',
  title: 'Notification Service',
  // The 004 document is shared by the platform services; these sections are this one's (PLATFORM.md).
  // The AMQP `events` of notification are a top-level list of the document, not endpoints.
  seed: { file: '004_61d7e886695bdff9.txt', sections: ['notification-rpc', 'queue-rpc', 'http'] },
  ports: { http: 13080, grpc: 13051 },
  buildHttp: (context) => buildNotificationApp(notificationRuntime(context), notificationService.version),
  startListeners: (context, ports) =>
    startGrpcServer(notificationRuntime(context), ports.grpc!, notificationService.version),
  defineJobs: (context) => notificationRuntime(context).defineJobs(),
  startWorkers: (context) => notificationRuntime(context).startWorkers(),
  commands: [
    {
      path: ['dlq', 'list'],
      description: 'List dead letters (notification.events.dlq) waiting for a decision, oldest first.',
      options: [{ flags: '--limit <n>', description: 'at most this many', defaultValue: '100' }],
      async run(context, options) {
        const deadLetters = await notificationRuntime(context).deadLetters.list(Number(options.limit ?? 100));
        return { dead_letters: deadLetters };
      },
      format: (result) =>
        (
          result.dead_letters as {
            id: string;
            created_at: string;
            source_queue: string;
            reason: string;
            attempts: number;
          }[]
        )
          .map(
            (entry) =>
              `${entry.id}  ${entry.created_at}  ${entry.source_queue}  attempts=${entry.attempts}  ${entry.reason}`,
          )
          .join('\n') || 'no dead letters',
    },
    {
      path: ['dlq', 'replay'],
      description: 'Replay a dead letter once: a failed notification is retried with a fresh budget.',
      options: [
        { flags: '--id <id>', description: 'dead letter id (dlq_…)' },
        { flags: '--all', description: 'every pending dead letter' },
      ],
      async run(context, options) {
        return asUsage(() =>
          notificationRuntime(context).deadLetters.replay(requireId(options, options.all === true)),
        );
      },
    },
    {
      path: ['dlq', 'purge'],
      description: 'Delete dead letters (one with --id, else all pending); their notifications stay failed.',
      options: [{ flags: '--id <id>', description: 'dead letter id (dlq_…)' }],
      async run(context, options) {
        return asUsage(() =>
          notificationRuntime(context).deadLetters.purge(
            typeof options.id === 'string' ? options.id : undefined,
          ),
        );
      },
    },
  ],
});
