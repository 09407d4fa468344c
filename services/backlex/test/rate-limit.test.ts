import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BacklexHarness } from './support/backlex.js';

let h: BacklexHarness;
before(async () => {
  h = await BacklexHarness.boot();
});
after(async () => h?.close());

describe('600 requests a minute per user', () => {
  test('the 601st request of a minute is 429 RATE_LIMITED with Retry-After; another user is unaffected', async () => {
    const busy = await h.user();
    const other = await h.user();
    // Fixed one-minute windows: 1,201 requests spread over at most two windows put more than 600
    // in one of them, wherever the boundary falls.
    const statuses: number[] = [];
    let limited: Awaited<ReturnType<typeof h.inject>> | undefined;
    for (let sent = 0; sent < 1201 && !limited; sent += 25) {
      const batch = await Promise.all(
        Array.from({ length: 25 }, () =>
          h.app.inject({
            method: 'GET',
            url: '/api/orgs',
            headers: { cookie: busy.cookie, 'x-forwarded-for': busy.ip },
          }),
        ),
      );
      statuses.push(...batch.map((response) => response.statusCode));
      limited = batch.find((response) => response.statusCode === 429);
    }
    assert.ok(limited, 'no request was limited');
    assert.ok(
      statuses.filter((status) => status === 200).length >= 600,
      'fewer than 600 requests were served',
    );
    assert.equal(limited.json().error.code, 'RATE_LIMITED');
    const over = limited;
    const retryAfter = Number(over.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
    const unaffected = await h.inject({ method: 'GET', url: '/api/orgs', as: other });
    assert.equal(unaffected.statusCode, 200);
  });
});
