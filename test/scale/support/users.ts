// An account user through account's own doors, across the lane: registered through the balancer,
// verified with the link of the mail that went account → RabbitMQ → notification → SMTP, logged in.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { call, clientIp, sleep } from './http.js';
import { capturedMails, type RunningTopology } from './topology.js';

export const PASSWORD = 'SecurePass123!';

export interface VerifiedUser {
  email: string;
  accessToken: string;
  refreshToken: string;
  userId: string;
}

/** The last mail to `to` whose subject matches, waiting up to 60 s for it to arrive. */
export async function mailTo(to: string, subject: RegExp) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = (await capturedMails()).filter((mail) => mail.to === to && subject.test(mail.subject));
    if (found.length > 0) return found.at(-1)!;
    if (Date.now() > deadline) throw new Error(`no mail to ${to} matching ${subject}`);
    await sleep(200);
  }
}

export async function verifiedUser(lane: RunningTopology): Promise<VerifiedUser> {
  const account = lane.balancer.account!;
  const ip = clientIp();
  const email = `scale-${randomUUID().slice(0, 8)}@example.com`;
  const registered = await call(account, 'POST', '/api/v1/auth/register', {
    clientIp: ip,
    body: { email, password: PASSWORD, display_name: 'Scale Tester' },
  });
  assert.equal(registered.status, 201, registered.text);
  const mail = await mailTo(email, /verif/i);
  const token = /[?&]token=([^\s&"]+)/.exec(mail.text)?.[1];
  assert.ok(token, `a verification link in ${mail.text}`);
  const verified = await call(account, 'GET', `/verify-email?token=${token}`, { clientIp: ip });
  assert.equal(verified.status, 200, verified.text);
  const login = await call(account, 'POST', '/api/v1/auth/login', {
    clientIp: ip,
    body: { email, password: PASSWORD },
  });
  assert.equal(login.status, 200, login.text);
  return {
    email,
    accessToken: login.body.data.access_token,
    refreshToken: login.body.data.refresh_token,
    userId: login.body.data.user?.id ?? '',
  };
}
