import { defineJob } from '@trustplane/kernel';
import { z } from 'zod';
import type { VerifactConfig } from '../config.js';
import type { Users } from '../users/users.js';

export const WELCOME_MAIL_QUEUE = 'verifact.welcome-mail';

/**
 * Sends a welcome mail whose inline send failed (or never ran: the process stopped). Sent with
 * the user, in the transaction that creates it, to start after the inline try had its chance. A
 * failure throws, so it is retried with backoff; after the last retry the job waits in
 * `verifact.welcome-mail.dead` and `welcome_mails.last_error` says why. One job per user.
 */
export function welcomeMailJob(config: Pick<VerifactConfig, 'welcomeMailRetrySeconds'>, users: () => Users) {
  return defineJob({
    name: WELCOME_MAIL_QUEUE,
    version: 1,
    payload: z.object({ userId: z.string().min(1) }),
    dedupe: { key: (payload) => payload.userId, while: 'queued-or-running' },
    retry: { limit: 10, delaySeconds: config.welcomeMailRetrySeconds, backoff: true },
    timeoutSeconds: 300,
    async handle(payload, job) {
      const outcome = await users().deliverWelcome(payload.userId);
      if (outcome !== 'sent') throw new Error(`welcome mail ${outcome}; retrying`);
      job.logger.info({ userId: payload.userId }, 'verifact: welcome mail sent');
    },
  });
}

export type WelcomeMailJob = ReturnType<typeof welcomeMailJob>;
