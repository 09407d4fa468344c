import { z } from 'zod';
import { permissionString } from '../schemas.js';

/** Path parameters shared by the organization routes. */
export const orgId = z.object({ org_id: z.uuid({ error: 'must be a UUID' }) });
export const orgMember = orgId.extend({ account_id: z.uuid({ error: 'must be a UUID' }) });
export const orgRole = orgId.extend({ role_id: z.uuid({ error: 'must be a UUID' }) });

export const permissions = z.array(permissionString).max(200, { error: 'must list at most 200 permissions' });
