import { z } from 'zod';
import { uuid } from './service-account-schemas.js';

export const keyParams = z.object({ api_key_id: uuid });
