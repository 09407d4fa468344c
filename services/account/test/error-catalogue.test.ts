import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { checkServiceErrors, markdownErrorTable, seedPath } from '@trustplane/kernel/testkit';
import { parse } from 'yaml';
import { renderAccountError } from '../src/http/errors.js';
import { accountService } from '../src/index.js';
import { Harness, PASSWORD } from './helpers.js';

test('the error catalogue, the seed error-code table and the README agree both ways', () => {
  const seed = parse(readFileSync(seedPath(accountService), 'utf8')) as {
    info: { overview_cards: { title: string; content: string }[] };
  };
  const card = seed.info.overview_cards.find((entry) => entry.title === 'Error code table');
  assert.ok(card);
  const problems = checkServiceErrors(accountService, {
    renderer: renderAccountError,
    packageDir: new URL('..', import.meta.url),
    documented: [markdownErrorTable(card.content, 'seed error-code table', false)],
    otherStatus: {
      UNAVAILABLE:
        'the seed files database blips under 5000 (500, "usually transient, safe to retry"); 503 says so to HTTP clients too',
    },
  });
  assert.deepEqual(problems, []);
});

describe('database outage', () => {
  let h: Harness;
  before(async () => {
    h = await Harness.boot(undefined, { databaseOutage: true });
  });
  after(async () => h?.close());

  test('login and authenticated reads answer 503/5000 in the envelope while the database is down', async () => {
    const user = await h.register();
    const login = {
      method: 'POST' as const,
      url: '/api/v1/auth/login',
      payload: { email: user.email, password: PASSWORD },
    };
    const list = {
      method: 'GET' as const,
      url: '/api/v1/organizations',
      headers: { authorization: `Bearer ${user.accessToken}` },
    };
    const restore = await h.booted.takeDatabaseDown();
    try {
      for (const request of [login, list]) {
        const response = await h.app.inject(request);
        assert.equal(response.statusCode, 503, request.url);
        const body = response.json();
        assert.deepEqual(
          { success: body.success, code: body.code, message: body.message },
          { success: false, code: 5000, message: 'The database is unavailable' },
        );
        assert.equal(body.trace_id, response.headers['x-request-id']);
      }
    } finally {
      await restore();
    }
    assert.equal((await h.app.inject(list)).statusCode, 200);
  });
});
