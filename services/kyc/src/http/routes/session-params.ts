import { z } from 'zod';
import { errors } from '../../errors.js';
import { isUuid } from '../../ids.js';

/** `{sessionId}` of the verification, liveness, hosted-page and dashboard routes. */
export const sessionParams = z.object({ sessionId: z.string() });

/** A session id that is not a UUID names no session: 404, before any query. */
export const sessionIdOf = (id: string) => {
  if (!isUuid(id)) throw errors.VERIFICATION_SESSION_NOT_FOUND();
  return id;
};
