import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountDeps } from '../../deps.js';
import * as invitations from '../../organizations/invitations.js';
import { protect } from '../hooks.js';
import { requireOrgPermission } from '../../identity/principal.js';
import { principalOf } from '../principal.js';
import { errorResponses, ok, okNull, originOf, page, pageQuery, paginated } from '../schemas.js';
import { orgId } from './organization-params.js';

/** Invitations: invite (the seed files it under members), list, cancel, accept. */
export function invitationRoutes(deps: AccountDeps) {
  return async (app: FastifyInstance) => {
    protect(app, deps);
    const routes = app.withTypeProvider<ZodTypeProvider>();

    routes.post(
      '/api/v1/organizations/:org_id/members',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'inviteMember',
          summary: 'Invite member',
          description:
            "Send an invitation to an email address. If a role is omitted the org's default-member role is assigned on accept. The recipient gets an email via the `email.requested` event.",
          params: orgId,
          body: z.object({
            email: z
              .string({ error: 'is required' })
              .trim()
              .max(254)
              .pipe(z.email({ error: 'invalid format' })),
            role_id: z.uuid({ error: 'must be a UUID' }).optional(),
          }),
          response: {
            201: ok(z.object({ invitation_id: z.string(), message: z.string() })),
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, 'members:invite');
        const data = await invitations.inviteMember(
          deps,
          principal,
          request.params.org_id,
          request.body,
          originOf(request),
        );
        return reply.status(201).send({ success: true as const, code: 2010, data });
      },
    );

    routes.get(
      '/api/v1/organizations/:org_id/invitations',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'listInvitations',
          summary: 'List pending invitations',
          description: 'Requires `members:invite` in the organization.',
          'x-extension': true,
          params: orgId,
          querystring: z.object(pageQuery),
          response: {
            200: ok(
              paginated(
                z.object({
                  invitation_id: z.string(),
                  email: z.string(),
                  role_id: z.string().nullable(),
                  invited_by: z.string().nullable(),
                  expires_at: z.number().int(),
                  created_at: z.number().int(),
                  is_expired: z.boolean(),
                }),
              ),
            ),
            ...errorResponses,
          },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, 'members:invite');
        const { page: p, per_page: perPage } = request.query;
        const { items, total } = await invitations.listInvitations(
          deps.repositories,
          request.params.org_id,
          p,
          perPage,
        );
        return { success: true as const, data: page(items, total, p, perPage) };
      },
    );

    routes.delete(
      '/api/v1/organizations/:org_id/invitations/:invitation_id',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'cancelInvitation',
          summary: 'Cancel a pending invitation',
          description: 'Requires `invitations:cancel` in the organization.',
          'x-extension': true,
          params: orgId.extend({ invitation_id: z.uuid({ error: 'must be a UUID' }) }),
          response: { 200: okNull, ...errorResponses },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        requireOrgPermission(principal, request.params.org_id, 'invitations:cancel');
        await invitations.cancelInvitation(
          deps.repositories,
          principal,
          request.params.org_id,
          request.params.invitation_id,
          originOf(request),
        );
        return { success: true as const, data: null };
      },
    );

    routes.post(
      '/api/v1/invitations/accept',
      {
        schema: {
          tags: ['organizations'],
          operationId: 'acceptInvitation',
          summary: 'Accept an invitation',
          description: 'The seed implies it; the link a member follows lives on the frontend.',
          'x-extension': true,
          body: z.object({ token: z.string({ error: 'is required' }).min(1).max(512) }),
          response: {
            200: ok(z.object({ organization_id: z.string(), role_id: z.string() })),
            ...errorResponses,
          },
        },
      },
      async (request) => ({
        success: true as const,
        data: await invitations.acceptInvitation(
          deps.repositories,
          principalOf(request),
          request.body.token,
          originOf(request),
        ),
      }),
    );
  };
}
