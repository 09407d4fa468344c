import * as grpc from '@grpc/grpc-js';
import type { MessageTransport } from '@trustplane/kernel';
import type { ProviderInstance } from '../config.js';
import type { NotificationSinkClient } from '../grpc/generated/notification/NotificationSink.js';
import { loadNotificationProto } from '../grpc/protos.js';
import { type Accepted, DeliveryError, type DeliveryTarget, type Provider } from './provider.js';

const PERMANENT_GRPC = new Set([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.ALREADY_EXISTS,
  grpc.status.PERMISSION_DENIED,
  grpc.status.UNAUTHENTICATED,
  grpc.status.FAILED_PRECONDITION,
  grpc.status.OUT_OF_RANGE,
  grpc.status.UNIMPLEMENTED,
]);

/** Calls `notification.NotificationSink/Deliver` on the recipient's `host:port` (or the instance's target). */
export class GrpcForwarder implements Provider {
  private readonly clients = new Map<string, NotificationSinkClient>();

  constructor(
    readonly instance: ProviderInstance,
    private readonly timeoutMs: number,
  ) {}

  async send(target: DeliveryTarget): Promise<Accepted> {
    const address = target.recipient.address || this.instance.target;
    if (!address) throw new DeliveryError(`provider ${this.instance.name} has no target`, true);
    let client = this.clients.get(address);
    if (!client) {
      const proto = loadNotificationProto();
      client = new proto.notification.NotificationSink(address, grpc.credentials.createInsecure());
      this.clients.set(address, client);
    }
    const reply = await new Promise<{ accepted: boolean; message: string }>((resolve, reject) => {
      client.Deliver(
        {
          notification_id: target.notificationId,
          recipient: target.recipient,
          content: target.content,
          metadata: target.metadata,
          attempt: target.attempt,
        },
        { deadline: Date.now() + this.timeoutMs },
        (error, response) => {
          if (error) {
            reject(
              new DeliveryError(
                `gRPC ${grpc.status[error.code] ?? error.code}: ${error.details}`,
                PERMANENT_GRPC.has(error.code),
              ),
            );
          } else resolve({ accepted: response?.accepted === true, message: response?.message ?? '' });
        },
      );
    });
    if (!reply.accepted) throw new DeliveryError(`sink did not accept: ${reply.message}`, true);
    return { providerMessageId: `grpc:${address}` };
  }

  async close(): Promise<void> {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}

/**
 * Publishes the notification to the instance's exchange with the recipient's address as routing
 * key, as a mandatory message. Accepted means a queue took it: a broker confirm without a return
 * with AMQP_URL, a subscriber or durable queue of the embedded bus otherwise.
 */
export class RabbitMqForwarder implements Provider {
  constructor(
    readonly instance: ProviderInstance,
    private readonly bus: MessageTransport,
  ) {}

  async send(target: DeliveryTarget): Promise<Accepted> {
    const exchange = this.instance.exchange ?? 'notification.forward';
    try {
      await this.bus.publish({
        exchange,
        topic: target.recipient.address,
        payload: {
          notification_id: target.notificationId,
          recipient: target.recipient,
          content: target.content,
          metadata: target.metadata,
          attempt: target.attempt,
        },
        headers: { 'x-notification-id': target.notificationId },
        messageId: `${target.notificationId}.${target.position}`,
        // Accepted only when a queue or subscriber takes it; otherwise the attempt is retried.
        mandatory: true,
      });
    } catch (error) {
      throw new DeliveryError(`publish to ${exchange} failed: ${(error as Error).message}`, false);
    }
    return { providerMessageId: `${exchange}/${target.recipient.address}` };
  }
}
