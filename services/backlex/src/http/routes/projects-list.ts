import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BacklexDeps } from '../../composition.js';
import { projectView } from '../../projects/project-view.js';
import { projectSchema } from '../project-schemas.js';
import { errorResponses, slugParams } from '../schemas.js';
import { orgAccessOf } from '../session.js';

export function listProjectsRoute(deps: BacklexDeps) {
  return async (app: FastifyInstance) => {
    app.withTypeProvider<ZodTypeProvider>().get(
      '/api/org/:slug/projects',
      {
        schema: {
          tags: ['Projects'],
          summary: 'List projects',
          operationId: 'listProjects',
          description: "Every member. The org's projects that are not deleted, oldest first.",
          params: slugParams,
          response: { ...errorResponses, 200: z.object({ projects: z.array(projectSchema) }) },
        },
        config: { orgOperation: 'projects.list' },
      },
      async (request) => {
        const rows = await deps.projects.projects.list(orgAccessOf(request));
        return { projects: rows.map((row) => projectView(row, deps.context.publicUrl)) };
      },
    );
  };
}
