import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { activityFeed } from '../../audit/activity-feed.js';
import type { AccountDeps } from '../../deps.js';
import { protect } from '../hooks.js';
import { requireOrgPermission } from '../../identity/principal.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, page, paginated } from '../schemas.js';
import { activityItem, activityQuery } from './activity-schemas.js';
import { orgId } from './organization-params.js';

export function organizationActivityFeedRoute(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();
    routes.get(
      '/api/v1/organizations/:org_id/activities',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'organizationActivityFeed',
          summary: 'Organization activity feed',
          description:
            'Org-wide audit feed. Same shape as `/me/activities` but scoped to all actors within the organization. Requires `audit_logs:read` permission in the org.',
          params: orgId,
          querystring: z.object(activityQuery),
          response: { 200: ok(paginated(activityItem)), ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, 'audit_logs:read');
        const query = request.query;
        const { items, total } = await activityFeed(deps.repositories.auditLogs, {
          organizationId: request.params.org_id,
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
