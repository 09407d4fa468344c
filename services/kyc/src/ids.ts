const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Path ids are checked before any query, so a malformed one is the seed's 404/403, not a 400. */
export const isUuid = (value: string) => UUID.test(value);
