import { constantTimeEqual, sha256Hex } from '@trustplane/kernel';
import { returnUrlFor } from '../dashboard/dashboard.js';
import type { KycRepositories } from '../db/repositories.js';
import type { SessionRow } from '../db/verification-sessions-repository.js';
import { errors } from '../errors.js';
import { isUuid } from '../ids.js';
import type { SessionViews } from './session-views.js';

/** The version of the privacy notice the hosted page shows; recorded with each consent. */
export const PRIVACY_NOTICE_VERSION = '2026-12-01';

export interface HostedFlowContext {
  organization: { displayName: string; logoUrl: string | null };
  returnUrl: string | null;
  expired: boolean;
  consented: boolean;
  /** The user finished the flow (or a reviewer decided): reopening the link shows "submitted". */
  submitted: boolean;
}

/**
 * What the hosted page needs beyond the seed's session API: the tenant's branding, where to send
 * the user back (also once the session expired: "back to the tenant"), and the user's consent to
 * the privacy notice and their "finished", both recorded with an audit event.
 */
export function createHostedFlow(options: { repositories: KycRepositories; views: SessionViews }) {
  const { repositories, views } = options;

  /** The session the token opens, expired or not: 404 unknown, 401 wrong token. */
  async function open(sessionId: string, token: string | undefined): Promise<SessionRow> {
    const session = await repositories.sessions.find(sessionId);
    if (!session) throw errors.VERIFICATION_SESSION_NOT_FOUND();
    if (!token || !constantTimeEqual(sha256Hex(token), session.token_hash))
      throw errors.VERIFICATION_INVALID_TOKEN();
    return session;
  }

  const expired = (session: SessionRow) => session.expires_at.getTime() <= Date.now();

  async function isSubmitted(session: SessionRow): Promise<boolean> {
    if (session.submitted_at || session.review_status !== 'pending') return true;
    const attempts = await repositories.liveness.listForSession(session.id);
    return attempts.some((attempt) => attempt.status === 'passed');
  }

  return {
    /** The https origin of the session's organization logo, if it has one (for the page's CSP). */
    async logoOrigin(sessionId: string): Promise<string | undefined> {
      if (!isUuid(sessionId)) return undefined;
      const session = await repositories.sessions.find(sessionId);
      const logo = session && (await repositories.organizations.find(session.organization_id))?.logo_url;
      if (!logo) return undefined;
      const url = URL.parse(logo);
      return url?.protocol === 'https:' ? url.origin : undefined;
    },

    async context(sessionId: string, token: string | undefined): Promise<HostedFlowContext> {
      const session = await open(sessionId, token);
      const organization = await repositories.organizations.find(session.organization_id);
      return {
        organization: {
          displayName: organization?.display_name ?? '',
          logoUrl: organization?.logo_url ?? null,
        },
        returnUrl: returnUrlFor(session),
        expired: expired(session),
        consented: session.consented_at !== null,
        submitted: await isSubmitted(session),
      };
    },

    /** Records the user's consent to the privacy notice (once; again is a no-op). */
    async consent(sessionId: string, token: string | undefined): Promise<void> {
      await mark(sessionId, token, 'consented_at', 'privacy_notice_accepted', {
        noticeVersion: PRIVACY_NOTICE_VERSION,
      });
    },

    /** Records that the user finished the flow (once; again is a no-op). */
    async submit(sessionId: string, token: string | undefined): Promise<void> {
      await mark(sessionId, token, 'submitted_at', 'session_submitted', {});
    },
  };

  async function mark(
    sessionId: string,
    token: string | undefined,
    column: 'consented_at' | 'submitted_at',
    eventType: string,
    payload: Record<string, unknown>,
  ) {
    const session = await open(sessionId, token);
    if (expired(session)) throw errors.VERIFICATION_EXPIRED();
    await repositories.transaction(async (tx) => {
      const locked = await tx.sessions.lock(sessionId);
      if (!locked || locked[column]) return;
      await tx.sessions.update(sessionId, { [column]: new Date() });
      await tx.auditEvents.append({
        sessionId,
        organizationId: locked.organization_id,
        eventType,
        actorType: 'end_user',
        payload,
      });
    });
    views.forget(sessionId);
  }
}

export type HostedFlow = ReturnType<typeof createHostedFlow>;
