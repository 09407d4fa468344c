import type { Outbox, SqlExecutor } from '@trustplane/kernel';

/** What the service needs of the kernel outbox (`context.outbox`). */
export type OutboxPublisher = Pick<Outbox, 'publish'>;

/** Exchange of the seed's account events (`account.events`). */
export const ACCOUNT_EVENTS_EXCHANGE = 'account.events';

export type EmailTemplate = 'email_verification' | 'password_reset' | 'organization_invitation';

export interface EmailRequested {
  to: string;
  template: EmailTemplate;
  display_name?: string | undefined;
  token: string;
  base_url: string;
  is_resend?: boolean;
  /** Extension for invitations: which organization invites. */
  organization_name?: string;
}

/** The seed's `email.requested` event on `account.events`, published in the caller's transaction. */
export function publishEmailRequested(outbox: OutboxPublisher, executor: SqlExecutor, event: EmailRequested) {
  return outbox.publish(executor, {
    exchange: ACCOUNT_EVENTS_EXCHANGE,
    topic: 'email.requested',
    payload: { event_type: 'email.requested', ...event },
    // The payload carries a one-time token: it leaves the database as soon as it is delivered.
    deleteOnPublish: true,
    // Kept and retried until a mail consumer (notification) has declared its queue: a user who
    // registers before it ever started still gets the mail once it does.
    mandatory: true,
  });
}
