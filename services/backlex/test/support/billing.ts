import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { backlexBilling } from '../../src/index.js';
import type { BacklexHarness, TestOrg, TestUser } from './backlex.js';

/** Billing's clock, set by the test (renewals, periods and the sandbox's webhook timestamps read it). */
export function billingOf(h: BacklexHarness) {
  return backlexBilling(h.service.booted.context);
}

export function setClock(h: BacklexHarness, at: Date): void {
  billingOf(h).clock.use({ now: () => new Date(at.getTime()) });
}

/** The path (and query) of an absolute URL the service handed out. */
export function pathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

/** Posts the sandbox's card form as a browser does (urlencoded), without a backlex cookie. */
export function postCardForm(
  h: BacklexHarness,
  url: string,
  card: { cardNumber: string; expiry?: string; cvc?: string; name?: string },
): Promise<LightMyRequestResponse> {
  const form = new URLSearchParams({
    cardNumber: card.cardNumber,
    expiry: card.expiry ?? '12 / 34',
    cvc: card.cvc ?? '123',
    name: card.name ?? 'Ada Lovelace',
  });
  return h.inject({
    method: 'POST',
    url: pathOf(url),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: form.toString(),
    skipContract: true,
  });
}

export async function getBilling(h: BacklexHarness, org: TestOrg, as: TestUser = org.owner) {
  const response = await h.inject({ method: 'GET', url: `/api/org/${org.slug}/billing`, as });
  assert.equal(response.statusCode, 200, response.body);
  return response.json();
}

/** Starts a checkout as the owner and returns the hosted URL. */
export async function startCheckout(
  h: BacklexHarness,
  org: TestOrg,
  payload: Record<string, unknown>,
  path = 'billing/checkout',
): Promise<string> {
  const response = await h.inject({
    method: 'POST',
    url: `/api/org/${org.slug}/${path}`,
    as: org.owner,
    payload,
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json().url as string;
}

/** Checkout through the sandbox's page with the card that pays: the plan is the org's after the webhook. */
export async function subscribe(h: BacklexHarness, org: TestOrg, plan: string, interval = 'monthly') {
  const url = await startCheckout(h, org, { plan, interval });
  const paid = await postCardForm(h, url, { cardNumber: '4242 4242 4242 4242' });
  assert.equal(paid.statusCode, 303, paid.body);
  return paid;
}
