// Behind a load balancer (docs/scaling.md): BACKLEX_PUBLIC_URL names the URL browsers reach backlex
// at. Its origin is trusted (a browser's sign-up through the balancer is served, another origin is
// refused) and mail links point there, not at the instance's own port.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { BacklexHarness } from './support/backlex.js';

const PUBLIC_URL = 'https://backlex.example.test';

let h: BacklexHarness;
before(async () => {
  h = await BacklexHarness.boot({ env: { BACKLEX_PUBLIC_URL: `${PUBLIC_URL}/` } });
});
after(async () => h?.close());

/** A browser's sign-up (fetch sends `Sec-Fetch-Mode`; better-auth then wants a trusted `Origin`). */
function signUp(origin: string) {
  const tag = randomBytes(4).toString('hex');
  const email = `balanced-${tag}@example.com`;
  return h
    .inject({
      method: 'POST',
      url: '/api/auth/sign-up/email',
      headers: {
        origin,
        'sec-fetch-mode': 'cors',
        'x-forwarded-for': `203.0.113.${randomBytes(1)[0]! % 250}`,
      },
      payload: { email, name: `Balanced ${tag}`, password: `pw-${randomBytes(8).toString('hex')}` },
      skipContract: true,
    })
    .then((response) => ({ email, response }));
}

test("a browser on the public URL's origin signs up; the verification link points at the public URL", async () => {
  const { email, response } = await signUp(PUBLIC_URL);
  assert.equal(response.statusCode, 200, response.body);
  const link = await h.linkInMail(email, /verify/i);
  assert.equal(link.origin, PUBLIC_URL);
});

test('a browser on another origin is refused and nothing is created', async () => {
  const { email, response } = await signUp('https://elsewhere.example.test');
  assert.equal(response.statusCode, 403, response.body);
  assert.deepEqual(await h.mailsTo(email), []);
});
