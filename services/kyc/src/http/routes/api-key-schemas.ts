import { z } from 'zod';

export const orgParams = z.object({ organizationId: z.string() });
