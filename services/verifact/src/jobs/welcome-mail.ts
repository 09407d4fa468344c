import type { JobDefinition, ServiceContext } from '@trustplane/kernel';
import { loadVerifactConfig } from '../config.js';
import type { Users } from '../users/users.js';
import { WELCOME_MAIL_QUEUE } from '../users/users.js';

export { WELCOME_MAIL_QUEUE };

/**
 * Sends a welcome mail whose inline send failed (or never ran: the process stopped). A failure
 * throws, so pg-boss retries with backoff; after the last retry the job waits in
 * `verifact.welcome-mail.dead` and `welcome_mails.last_error` says why.
 */
export function welcomeMailJob(
  context: ServiceContext,
  users: () => Users,
): JobDefinition<{ version: 1; userId: string }> {
  return {
    queue: WELCOME_MAIL_QUEUE,
    retryLimit: 10,
    retryDelay: loadVerifactConfig(process.env).welcomeMailRetrySeconds,
    retryBackoff: true,
    expireInSeconds: 300,
    async handle(data, job) {
      const outcome = await users().deliverWelcome(data.userId);
      if (outcome !== 'sent') throw new Error(`welcome mail ${outcome}; retrying`);
      job.logger.info({ userId: data.userId, service: context.service }, 'verifact: welcome mail sent');
    },
  };
}
