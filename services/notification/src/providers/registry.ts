import { type ServiceContext, trimChar } from '@trustplane/kernel';
import type { NotificationConfig, ProviderInstance } from '../config.js';
import { HttpProvider } from './http-provider.js';
import { EmailProvider } from './email-provider.js';
import { GrpcForwarder, RabbitMqForwarder } from './forwarders.js';
import { MessageSink } from './message-sink.js';
import { TelegramProvider, WhatsAppProvider } from './api-provider.js';
import type { Provider } from './provider.js';

/** The configured provider instances, by name. */
export class ProviderRegistry {
  private readonly byName = new Map<string, Provider>();
  readonly sink: MessageSink;

  constructor(context: ServiceContext, config: NotificationConfig) {
    this.sink = new MessageSink(context.config.dataDir);
    const domain = mailDomain(context.config.mailFrom);
    for (const instance of config.providers) {
      this.byName.set(instance.name, this.build(instance, context, config, domain));
    }
  }

  private build(
    instance: ProviderInstance,
    context: ServiceContext,
    config: NotificationConfig,
    domain: string,
  ): Provider {
    switch (instance.type) {
      case 'email':
        return new EmailProvider(instance, context.mailer, domain);
      case 'http':
        return new HttpProvider(instance, context.webhooks, context.signingSecret, config.sendTimeoutMs);
      case 'telegram':
        return new TelegramProvider(instance, this.sink);
      case 'whatsapp':
        return new WhatsAppProvider(instance, this.sink);
      case 'grpc':
        return new GrpcForwarder(instance, config.sendTimeoutMs);
      case 'rabbitmq':
        return new RabbitMqForwarder(instance, context.bus);
    }
  }

  get(name: string): Provider | undefined {
    return this.byName.get(name);
  }

  async close(): Promise<void> {
    for (const provider of this.byName.values()) await provider.close?.();
  }
}

/** The domain of the From address (`Name <a@b.example>` or `a@b.example`), used in Message-IDs. */
function mailDomain(from: string): string {
  const at = from.lastIndexOf('@');
  const domain = at < 0 ? '' : trimChar(from.slice(at + 1).trim(), '>', 'end');
  return domain === '' || /[\s<>@]/.test(domain) ? 'trustplane.local' : domain;
}
