import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { activityFeed } from '../../audit/activity-feed.js';
import type { AccountDeps } from '../../deps.js';
import { protect } from '../hooks.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, page, paginated } from '../schemas.js';
import { activityItem, activityQuery } from './activity-schemas.js';

export function myActivityFeedRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.get(
      '/api/v1/me/activities',
      {
        schema: {
          tags: ['account'],
          operationId: 'myActivityFeed',
          summary: 'My activity feed',
          description:
            "Audit-log entries where the authenticated user is the actor. Paged. The `actor_id` filter is forced server-side to the calling user, so callers cannot pivot to another user's feed. **Action vocabulary** (dot-notation, used in `action` filter and `action` field of returned items): - `account.profile_updated`, `account.accessed` - `auth.login`, `auth.login_failed`, `auth.logout`, `auth.token_refreshed`, `auth.password_changed`, `auth.password_reset` - `member.invited`, `member.removed` - `invitation.cancelled` - `service_account.archived`, `service_account.paused`, `service_account.resumed` - `api_key.created`, `api_key.revoked` New actions may be added without a docs revision; consumers should tolerate unknown values (display as-is, don't reject).",
          querystring: z.object({ ...activityQuery, org_id: z.uuid({ error: 'must be a UUID' }).optional() }),
          response: { 200: ok(paginated(activityItem)), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        const query = request.query;
        const { items, total } = await activityFeed(deps.repositories.auditLogs, {
          actorId: principal.accountId,
          ...(query.org_id ? { organizationId: query.org_id } : {}),
          since: query.since,
          until: query.until,
          action: query.action,
          page: query.page,
          perPage: query.per_page,
        });
        return { success: true as const, data: page(items, total, query.page, query.per_page) };
      },
    );
  };
}
