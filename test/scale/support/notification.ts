// notification as its clients reach it on the lane: the seed's `notification.requests` events
// published on RabbitMQ, and NotificationService over gRPC through the balancer.
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import amqp from 'amqplib';
import type { NotificationServiceClient } from '../../../services/notification/src/grpc/generated/notification/NotificationService.js';
import { loadNotificationProto } from '../../../services/notification/src/grpc/protos.js';

/** The seed's `notification.requests` event (`email.send`), as another service publishes it. */
export function mailRequest(to: string, subject: string) {
  return {
    id: `evt-${randomUUID()}`,
    source_service: 'scale-lane',
    timestamp: new Date().toISOString(),
    recipient: { email: to, name: 'Scale' },
    content: { subject, body: 'Hello {{name}}', template_data: { name: 'Scale' } },
    provider_type: 'email',
    provider_name: 'smtp_email',
    metadata: { event: 'scale_test' },
    created_at: new Date().toISOString(),
  };
}

/** Publishes each message on `notification.requests` (`email.send`), waiting for the broker's confirms. */
export async function publish(amqpUrl: string, messages: unknown[]): Promise<void> {
  const connection = await amqp.connect(amqpUrl);
  try {
    const channel = await connection.createConfirmChannel();
    for (const message of messages)
      channel.publish('notification.requests', 'email.send', Buffer.from(JSON.stringify(message)), {
        messageId: randomUUID(),
        contentType: 'application/json',
        persistent: true,
      });
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}

/**
 * `count` NotificationService clients of `address` (`http://host:port` or `host:port`), each on a
 * connection of its own (`grpc.use_local_subchannel_pool`): behind the balancer's TCP frontend a
 * gRPC connection stays on one instance, so several spread the calls over both.
 */
export function notificationClients(address: string, count: number): NotificationServiceClient[] {
  const target = address.replace(/^https?:\/\//, '');
  const { NotificationService } = loadNotificationProto().notification;
  return Array.from(
    { length: count },
    () =>
      new NotificationService(target, grpc.credentials.createInsecure(), {
        'grpc.use_local_subchannel_pool': 1,
      }),
  );
}

/** A unary call as a promise; rejects with the grpc.ServiceError (its `code`, `details`). */
export function unary<Res>(
  client: grpc.Client,
  method: string,
  request: object,
  options: { metadata?: Record<string, string>; deadlineMs?: number } = {},
): Promise<Res> {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  const fn = (client as unknown as Record<string, (...args: unknown[]) => void>)[method]!.bind(client);
  return new Promise<Res>((resolve, reject) => {
    fn(
      request,
      metadata,
      { deadline: Date.now() + (options.deadlineMs ?? 30_000) },
      (error: grpc.ServiceError | null, value?: Res) => (error ? reject(error) : resolve(value as Res)),
    );
  });
}
