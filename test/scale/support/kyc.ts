// A kyc tenant through the console's own doors, across the lane's two instances: an operator signs
// up on one and logs in on the other (the `kyc_session` cookie), creates an organization and mints
// its test key pair on the dashboard API, as the kyc README says operators do.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { call, clientIp } from './http.js';
import type { RunningTopology } from './topology.js';

const PASSWORD = 'SecurePass123!';

export interface KycTenant {
  /** `kyc_session=…`, for the dashboard routes. */
  cookie: string;
  /** The client IP the operator's calls came from. */
  ip: string;
  organizationId: string;
  /** The secret key (`sk_test_…`) for server-to-server calls. */
  sk: string;
}

export async function kycTenant(lane: RunningTopology): Promise<KycTenant> {
  const kyc = (index: 1 | 2) => lane.instances[index - 1]!.urls.kyc!;
  const ip = clientIp();
  const email = `op-${randomUUID().slice(0, 8)}@example.com`;
  const signup = await call(kyc(1), 'POST', '/api/auth/signup', {
    clientIp: ip,
    body: { fullName: 'Op Erator', email, password: PASSWORD, acceptedTerms: true },
  });
  assert.equal(signup.status, 201, signup.text);
  const login = await call(kyc(2), 'POST', '/api/auth/login', {
    clientIp: ip,
    body: { email, password: PASSWORD },
  });
  assert.equal(login.status, 200, login.text);
  const session = /kyc_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1];
  assert.ok(session, 'the kyc_session cookie');
  const cookie = `kyc_session=${session}`;
  const organization = await call(kyc(1), 'POST', '/api/organizations', {
    clientIp: ip,
    headers: { cookie },
    body: { customerId: `cust-${randomUUID()}`, legalEmail: 'legal@example.com', displayName: 'Acme' },
  });
  assert.equal(organization.status, 201, organization.text);
  const organizationId = organization.body.organization.id as string;
  const keys = await call(kyc(2), 'POST', `/api/dashboard/organizations/${organizationId}/api-keys`, {
    clientIp: ip,
    headers: { cookie },
    body: { environment: 'test', label: 'backend' },
  });
  assert.equal(keys.status, 201, keys.text);
  return { cookie, ip, organizationId, sk: keys.body.secret.raw as string };
}
