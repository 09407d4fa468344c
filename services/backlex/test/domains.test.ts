import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually } from '@trustplane/kernel/testkit';
import { backlexDomains } from '../src/domains-composition.js';
import { createDomainRouter } from '../src/projects/domain-routes.js';
import { normalizeHostname } from '../src/projects/hostname.js';
import { BacklexHarness, type TestOrg, type TestUser } from './support/backlex.js';
import { type DnsStub, startDnsStub } from './support/dns-stub.js';

// Custom domains: validation, the TXT challenge through a DNS stub, the 409s, the data API by
// `Host`, removal; and the org overview.
let h: BacklexHarness;
let dns: DnsStub;
let org: TestOrg;
let developer: TestUser;
let viewer: TestUser;
let admin: TestUser;
let platformHost: string;

type Project = { id: string; slug: string; adminToken: string };
type Domain = {
  id: string;
  hostname: string;
  status: string;
  projectId: string;
  verification: { type: string; name: string; value: string };
  cname: { type: string; name: string; target: string };
  dataUrl: string;
  lastError: string | null;
  lastCheckedAt: string | null;
  verifiedAt: string | null;
  createdAt: string;
};

before(async () => {
  dns = await startDnsStub();
  h = await BacklexHarness.boot({ workers: true, env: { BACKLEX_DNS_SERVERS: dns.server } });
  platformHost = new URL(h.service.booted.context.publicUrl).hostname;
  org = await h.org();
  await sql(`UPDATE organization SET "planId" = 'max' WHERE id = $1`, [org.id]);
  developer = await h.member(org, 'developer');
  viewer = await h.member(org, 'viewer');
  admin = await h.member(org, 'admin');
});
after(async () => {
  await h?.close();
  await dns?.close();
});

async function sql<T>(query: string, params: unknown[] = []): Promise<T[]> {
  return (await h.service.booted.context.database().pool.query(query, params)).rows as T[];
}

let sequence = 0;
function activeProject(target: TestOrg = org, as: TestUser = target.owner): Promise<Project> {
  sequence += 1;
  return h.activeProject(target, { name: `Domain project ${sequence}`, template: 'todo', as });
}

function addDomain(project: Project, hostname: string, as: TestUser = developer, target = org) {
  return h.inject({
    method: 'POST',
    url: `/api/org/${target.slug}/projects/${project.slug}/domains`,
    as,
    payload: { hostname },
  });
}

async function added(project: Project, hostname: string, target = org): Promise<Domain> {
  const response = await addDomain(project, hostname, target === org ? developer : target.owner, target);
  assert.equal(response.statusCode, 201, response.body);
  return response.json().domain;
}

function verify(project: Project, domain: { id: string }, as: TestUser = developer, target = org) {
  return h.inject({
    method: 'POST',
    url: `/api/org/${target.slug}/projects/${project.slug}/domains/${domain.id}/verify`,
    as,
  });
}

async function verified(project: Project, domain: Domain, target = org): Promise<Domain> {
  dns.setTxt(domain.verification.name, [domain.verification.value]);
  const response = await verify(project, domain, target === org ? developer : target.owner, target);
  assert.equal(response.statusCode, 200, response.body);
  assert.equal(response.json().domain.status, 'verified', response.body);
  return response.json().domain;
}

function removeDomain(project: Project, domain: { id: string }, as: TestUser = admin, target = org) {
  return h.inject({
    method: 'DELETE',
    url: `/api/org/${target.slug}/projects/${project.slug}/domains/${domain.id}`,
    as,
  });
}

/** `POST /query` with a `Host` header: the data API on a custom domain. */
function hostQuery(host: string, token: string | undefined, body: unknown) {
  return h.inject({
    method: 'POST',
    url: '/query',
    headers: { host, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    payload: body as Record<string, unknown>,
    // An extension (not in seed 003): its answers follow the route's own schema in /openapi.json.
    skipContract: true,
  });
}

describe('hostname rules', () => {
  test('IDNA-normalized to lowercase ASCII without the trailing dot; everything else refused with a reason', () => {
    assert.deepEqual(normalizeHostname('Bücher.Example.', 'localhost'), {
      ok: true,
      hostname: 'xn--bcher-kva.example',
    });
    assert.deepEqual(normalizeHostname(' API.Shop.Example.COM ', 'localhost'), {
      ok: true,
      hostname: 'api.shop.example.com',
    });
    for (const bad of [
      'localhost',
      'example',
      '1.2.3.4',
      '[::1]',
      '::1',
      '10.0.0.1.',
      '1.2.3.999',
      'exa mple.com',
      '-bad.example.com',
      'bad-.example.com',
      'a..example.com',
      `${'x'.repeat(64)}.com`,
      `${'abcdefghi.'.repeat(26)}com`,
      'http://example.com',
      'example.com:8443',
      'example.com/path',
      '*.example.com',
      'under_score.example.com',
      'api.platform.test',
      'platform.test',
      'Platform.Test.',
    ]) {
      assert.equal(normalizeHostname(bad, 'platform.test').ok, false, bad);
    }
  });
});

describe('custom domains', () => {
  let project: Project;
  before(async () => {
    project = await activeProject();
  });

  test('add: 201 pending with the TXT challenge and the CNAME target; IDNA-normalized; audited and published', async () => {
    const response = await addDomain(project, 'Bücher.Example.');
    assert.equal(response.statusCode, 201, response.body);
    const domain: Domain = response.json().domain;
    assert.equal(domain.hostname, 'xn--bcher-kva.example');
    assert.equal(domain.status, 'pending');
    assert.equal(domain.projectId, project.id);
    assert.equal(domain.verification.type, 'TXT');
    assert.equal(domain.verification.name, '_backlex-challenge.xn--bcher-kva.example');
    assert.match(domain.verification.value, /^backlex-verify=[A-Za-z0-9_-]{32}$/);
    assert.deepEqual(domain.cname, { type: 'CNAME', name: 'xn--bcher-kva.example', target: platformHost });
    assert.equal(domain.dataUrl, 'http://xn--bcher-kva.example');
    assert.equal(domain.verifiedAt, null);
    assert.equal(domain.lastError, null);
    assert.deepEqual(
      Object.keys(domain).sort(),
      [
        'cname',
        'createdAt',
        'dataUrl',
        'hostname',
        'id',
        'lastCheckedAt',
        'lastError',
        'projectId',
        'status',
        'verification',
        'verifiedAt',
      ].sort(),
    );
    const second = await added(project, 'second.example.org');
    assert.notEqual(second.verification.value, domain.verification.value, 'a token per domain');

    const listed = await h.inject({
      method: 'GET',
      url: `/api/org/${org.slug}/projects/${project.slug}/domains`,
      as: viewer,
    });
    assert.equal(listed.statusCode, 200, listed.body);
    assert.deepEqual(
      listed.json().domains.map((row: Domain) => row.hostname),
      ['xn--bcher-kva.example', 'second.example.org'],
    );
    const audit = await sql<{ action: string; target_id: string }>(
      "SELECT action, target_id FROM audit_event WHERE action = 'domain.added' AND target_id = $1",
      [domain.id],
    );
    assert.equal(audit.length, 1);
    const events = await sql("SELECT 1 FROM events WHERE type = 'domain.added' AND data->>'domainId' = $1", [
      domain.id,
    ]);
    assert.equal(events.length, 1);
  });

  test('a bad hostname is 422 naming hostname and creates nothing; the schema bounds are 422 too', async () => {
    const before = await sql<{ n: string }>('SELECT count(*) AS n FROM project_domains');
    for (const hostname of [
      '1.2.3.4',
      'localhost',
      `api.${platformHost}`,
      '*.example.com',
      'a..example.com',
      'ab',
    ]) {
      const response = await addDomain(project, hostname);
      assert.equal(response.statusCode, 422, `${hostname}: ${response.body}`);
      assert.equal(response.json().error.code, 'VALIDATION');
      assert.equal(response.json().error.details[0].path, 'hostname', hostname);
    }
    const missing = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/projects/${project.slug}/domains`,
      as: developer,
      payload: {},
    });
    assert.equal(missing.statusCode, 422, missing.body);
    const after = await sql<{ n: string }>('SELECT count(*) AS n FROM project_domains');
    assert.deepEqual(after, before);
  });

  test('the same hostname twice in a project → 409 DOMAIN_EXISTS (case and IDNA forms are the same name)', async () => {
    await added(project, 'twice.example.net');
    const again = await addDomain(project, 'TWICE.example.net.');
    assert.equal(again.statusCode, 409, again.body);
    assert.equal(again.json().error.code, 'DOMAIN_EXISTS');
  });

  test('verify: no record → pending + lastError; a wrong token → pending; the right one → verified + verifiedAt, looked up through BACKLEX_DNS_SERVERS', async () => {
    const domain = await added(project, 'verify-me.example.com');
    const none = await verify(project, domain);
    assert.equal(none.statusCode, 200, none.body);
    assert.equal(none.json().domain.status, 'pending');
    assert.match(
      none.json().domain.lastError,
      /No TXT record found at _backlex-challenge\.verify-me\.example\.com/,
    );
    assert.ok(none.json().domain.lastCheckedAt);
    assert.ok(
      dns.queries.includes('_backlex-challenge.verify-me.example.com'),
      'asked the configured server',
    );

    dns.setTxt(domain.verification.name, ['backlex-verify=someone-elses-token', 'v=spf1 -all']);
    const wrong = await verify(project, domain);
    assert.equal(wrong.json().domain.status, 'pending');
    assert.match(wrong.json().domain.lastError, /do not contain this domain's token \(2 found\)/);

    dns.setTxt(domain.verification.name, ['unrelated', domain.verification.value]);
    const ok = await verify(project, domain);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().domain.status, 'verified');
    assert.equal(ok.json().domain.lastError, null);
    assert.ok(Date.parse(ok.json().domain.verifiedAt) > 0);
    const audit = await sql("SELECT 1 FROM audit_event WHERE action = 'domain.verified' AND target_id = $1", [
      domain.id,
    ]);
    assert.equal(audit.length, 1);

    // Verified stays verified, even once the record is gone.
    dns.clear(domain.verification.name);
    const again = await verify(project, domain);
    assert.equal(again.json().domain.status, 'verified');
    assert.equal(again.json().domain.verifiedAt, ok.json().domain.verifiedAt);
  });

  test('verified by one project: another project cannot verify it nor add it (409 DOMAIN_TAKEN), in this org or another', async () => {
    const other = await activeProject();
    const mine = await added(project, 'contested.example.com');
    const theirs = await added(other, 'contested.example.com');
    await verified(project, mine);
    // The other project's record would be right too: the hostname is still someone else's.
    dns.setTxt(theirs.verification.name, [theirs.verification.value]);
    const refused = await verify(other, theirs);
    assert.equal(refused.statusCode, 409, refused.body);
    assert.equal(refused.json().error.code, 'DOMAIN_TAKEN');
    const listed = await h.inject({
      method: 'GET',
      url: `/api/org/${org.slug}/projects/${other.slug}/domains`,
      as: developer,
    });
    assert.equal(listed.json().domains[0].status, 'pending', 'nothing changed');

    const stranger = await h.org();
    const strangerProject = await activeProject(stranger);
    const taken = await addDomain(strangerProject, 'Contested.Example.com', stranger.owner, stranger);
    assert.equal(taken.statusCode, 409, taken.body);
    assert.equal(taken.json().error.code, 'DOMAIN_TAKEN');

    // Removed by its owner: the hostname is free, the other project verifies it.
    const removed = await removeDomain(project, mine);
    assert.equal(removed.statusCode, 200, removed.body);
    const now = await verify(other, theirs);
    assert.equal(now.json().domain.status, 'verified', now.body);
  });

  test("plan cap: the plan's domains per project (free 2, pending and verified alike) → 403 PLAN_LIMIT; a name it has stays 409; removing one frees a place", async () => {
    const capped = await activeProject();
    await sql(`UPDATE organization SET "planId" = 'free' WHERE id = $1`, [org.id]);
    try {
      await added(capped, 'cap-one.example.com');
      const second = await added(capped, 'cap-two.example.com');
      const third = await addDomain(capped, 'cap-three.example.com');
      assert.equal(third.statusCode, 403, third.body);
      assert.equal(third.json().error.code, 'PLAN_LIMIT');
      assert.deepEqual(third.json().error.details, { resource: 'domains', limit: 2, planId: 'free' });
      const again = await addDomain(capped, 'cap-one.example.com');
      assert.equal(again.statusCode, 409, again.body);
      assert.equal(again.json().error.code, 'DOMAIN_EXISTS');
      assert.equal((await removeDomain(capped, second)).statusCode, 200);
      await added(capped, 'cap-three.example.com');
      const listed = await h.inject({
        method: 'GET',
        url: `/api/org/${org.slug}/projects/${capped.slug}/domains`,
        as: viewer,
      });
      assert.deepEqual(
        listed
          .json()
          .domains.map((domain: Domain) => domain.hostname)
          .sort(),
        ['cap-one.example.com', 'cap-three.example.com'],
      );
    } finally {
      await sql(`UPDATE organization SET "planId" = 'max' WHERE id = $1`, [org.id]);
    }
  });

  test("removing: admins only (developer 403); another project's or an unknown id → 404; audited and published", async () => {
    const domain = await added(project, 'remove-me.example.com');
    const byDeveloper = await removeDomain(project, domain, developer);
    assert.equal(byDeveloper.statusCode, 403, byDeveloper.body);
    const other = await activeProject();
    const elsewhere = await removeDomain(other, domain);
    assert.equal(elsewhere.statusCode, 404, elsewhere.body);
    const unknown = await removeDomain(project, { id: 'dom_nope' });
    assert.equal(unknown.statusCode, 404, unknown.body);
    const removed = await removeDomain(project, domain);
    assert.equal(removed.statusCode, 200, removed.body);
    assert.deepEqual(removed.json(), { ok: true });
    const again = await removeDomain(project, domain);
    assert.equal(again.statusCode, 404, again.body);
    const events = await sql(
      "SELECT 1 FROM events WHERE type = 'domain.removed' AND data->>'domainId' = $1",
      [domain.id],
    );
    assert.equal(events.length, 1);
    const verifyGone = await verify(project, domain);
    assert.equal(verifyGone.statusCode, 404, verifyGone.body);
  });
});

describe('the data API on a verified domain', () => {
  let project: Project;
  let domain: Domain;
  before(async () => {
    project = await activeProject();
    domain = await added(project, 'data.shop.example');
    await verified(project, domain);
  });

  test("POST /query with Host = the domain is the project's data API: same token, same answers, same rules", async () => {
    const insert = await hostQuery('data.shop.example', project.adminToken, {
      sql: 'INSERT INTO todos (title) VALUES (?)',
      params: ['through the domain'],
    });
    assert.equal(insert.statusCode, 200, insert.body);
    assert.equal(insert.json().results[0].rowsAffected, 1);
    // Port, case and a trailing dot do not matter.
    const read = await hostQuery('DATA.Shop.Example.:8443', project.adminToken, {
      sql: 'SELECT title FROM todos',
    });
    assert.equal(read.statusCode, 200, read.body);
    assert.deepEqual(read.json().results[0].rows, [['through the domain']]);
    // The same database as /api/db/{id}/query.
    const direct = await h.inject({
      method: 'POST',
      url: `/api/db/${project.id}/query`,
      headers: { authorization: `Bearer ${project.adminToken}` },
      payload: { sql: 'SELECT count(*) FROM todos' },
      skipContract: true,
    });
    assert.deepEqual(direct.json().results[0].rows, [[1]]);
    const forbidden = await hostQuery('data.shop.example', project.adminToken, { sql: "ATTACH 'x' AS y" });
    assert.equal(forbidden.statusCode, 400, forbidden.body);
    assert.equal(forbidden.json().error.code, 'STATEMENT_FORBIDDEN');
    const badBody = await hostQuery('data.shop.example', project.adminToken, { nope: 1 });
    assert.equal(badBody.statusCode, 422, badBody.body);
  });

  test("no token, a wrong token or another project's token → 401", async () => {
    const other = await activeProject();
    for (const token of [undefined, 'bxk_wrong', other.adminToken]) {
      const response = await hostQuery('data.shop.example', token, { sql: 'SELECT 1' });
      assert.equal(response.statusCode, 401, `${token}: ${response.body}`);
      assert.equal(response.json().error.code, 'UNAUTHORIZED');
    }
  });

  test('an unverified, unknown or platform host → 404; other routes answer whatever the Host', async () => {
    await added(project, 'pending.shop.example');
    for (const host of [
      'pending.shop.example',
      'unknown.example',
      platformHost,
      `localhost:8787`,
      '127.0.0.1',
    ]) {
      const response = await hostQuery(host, project.adminToken, { sql: 'SELECT 1' });
      assert.equal(response.statusCode, 404, `${host}: ${response.body}`);
      assert.equal(response.json().error.code, 'NOT_FOUND');
    }
    const health = await h.inject({
      method: 'GET',
      url: '/api/health',
      headers: { host: 'data.shop.example' },
      skipContract: true,
    });
    assert.equal(health.statusCode, 200, health.body);
    const orgs = await h.inject({
      method: 'GET',
      url: '/api/orgs',
      as: developer,
      headers: { host: 'data.shop.example' },
    });
    assert.equal(orgs.statusCode, 200, orgs.body);
    const getQuery = await h.inject({
      method: 'GET',
      url: '/query',
      headers: { host: 'data.shop.example' },
      skipContract: true,
    });
    assert.equal(getQuery.statusCode, 404, getQuery.body);
  });

  test('a paused project answers 503 on its domain; removing the domain stops it at once (404)', async () => {
    const paused = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/projects/${project.slug}/pause`,
      as: developer,
    });
    assert.equal(paused.statusCode, 200, paused.body);
    const unavailable = await hostQuery('data.shop.example', project.adminToken, { sql: 'SELECT 1' });
    assert.equal(unavailable.statusCode, 503, unavailable.body);
    const resumed = await h.inject({
      method: 'POST',
      url: `/api/org/${org.slug}/projects/${project.slug}/resume`,
      as: developer,
    });
    assert.equal(resumed.statusCode, 200, resumed.body);
    const served = await hostQuery('data.shop.example', project.adminToken, { sql: 'SELECT 1' });
    assert.equal(served.statusCode, 200, served.body);

    const removed = await removeDomain(project, domain);
    assert.equal(removed.statusCode, 200, removed.body);
    const gone = await hostQuery('data.shop.example', project.adminToken, { sql: 'SELECT 1' });
    assert.equal(gone.statusCode, 404, gone.body);
  });

  test("a deleted project's domain stops serving and frees the hostname for another project", async () => {
    const doomed = await activeProject();
    const first = await added(doomed, 'moving.shop.example');
    await verified(doomed, first);
    assert.equal(
      (await hostQuery('moving.shop.example', doomed.adminToken, { sql: 'SELECT 1' })).statusCode,
      200,
    );
    const deleted = await h.inject({
      method: 'DELETE',
      url: `/api/org/${org.slug}/projects/${doomed.slug}`,
      as: org.owner,
    });
    assert.equal(deleted.statusCode, 200, deleted.body);
    assert.equal(
      (await hostQuery('moving.shop.example', doomed.adminToken, { sql: 'SELECT 1' })).statusCode,
      404,
    );
    const next = await activeProject();
    const second = await added(next, 'moving.shop.example');
    await verified(next, second);
    const served = await hostQuery('moving.shop.example', next.adminToken, { sql: 'SELECT 1' });
    assert.equal(served.statusCode, 200, served.body);
  });

  test('route changes reach other processes through NOTIFY: a second router evicts on verify and removal', async () => {
    const context = h.service.booted.context;
    const repository = backlexDomains(context).repositories.domains;
    let lookups = 0;
    const router = createDomainRouter({
      pool: context.database().pool,
      logger: context.logger,
      lookup: (hostname) => {
        lookups += 1;
        return repository.routeOf(hostname);
      },
    });
    await router.start();
    try {
      assert.equal(router.listening, true);
      const target = await activeProject();
      const pending = await added(target, 'notify.shop.example');
      assert.equal(await router.resolve('notify.shop.example'), undefined);
      assert.equal(await router.resolve('notify.shop.example'), undefined);
      assert.equal(lookups, 1, 'the negative answer is cached');
      await verified(target, pending);
      // Its TTL is minutes: only the notice can make it look again this soon.
      await eventually(
        async () => ((await router.resolve('notify.shop.example')) === target.id ? true : undefined),
        'the verify reached the second router',
      );
      const removed = await removeDomain(target, pending);
      assert.equal(removed.statusCode, 200, removed.body);
      await eventually(
        async () => ((await router.resolve('notify.shop.example')) === undefined ? true : undefined),
        'the removal reached the second router',
      );
    } finally {
      await router.stop();
    }
  });
});

describe('overview', () => {
  test("org, the caller's role, projectCount and the project summaries; deleted projects left out", async () => {
    const target = await h.org();
    const member = await h.member(target, 'viewer');
    const kept = await h.inject({
      method: 'POST',
      url: `/api/org/${target.slug}/projects`,
      as: target.owner,
      payload: { name: 'Kept project', region: 'iad' },
    });
    assert.equal(kept.statusCode, 201, kept.body);
    const dropped = await h.inject({
      method: 'POST',
      url: `/api/org/${target.slug}/projects`,
      as: target.owner,
      payload: { name: 'Dropped project' },
    });
    assert.equal(dropped.statusCode, 201, dropped.body);
    const removed = await h.inject({
      method: 'DELETE',
      url: `/api/org/${target.slug}/projects/${dropped.json().project.slug}`,
      as: target.owner,
    });
    assert.equal(removed.statusCode, 200, removed.body);

    const owner = await h.inject({
      method: 'GET',
      url: `/api/org/${target.slug}/overview`,
      as: target.owner,
    });
    assert.equal(owner.statusCode, 200, owner.body);
    const body = owner.json();
    assert.equal(body.role, 'owner');
    assert.equal(body.org.slug, target.slug);
    assert.equal(body.org.planId, 'free');
    assert.equal(body.projectCount, 1);
    const project = kept.json().project;
    assert.equal(body.projects.length, 1);
    const { status, ...summary } = body.projects[0];
    assert.ok(['provisioning', 'active'].includes(status), status);
    assert.deepEqual(summary, {
      id: project.id,
      slug: project.slug,
      name: 'Kept project',
      environment: 'production',
      primaryRegion: 'iad',
    });
    const asViewer = await h.inject({ method: 'GET', url: `/api/org/${target.slug}/overview`, as: member });
    assert.equal(asViewer.json().role, 'viewer');

    const key = await h.inject({
      method: 'POST',
      url: `/api/org/${target.slug}/api-keys`,
      as: target.owner,
      payload: { name: 'overview key', scope: 'read-only' },
    });
    assert.equal(key.statusCode, 201, key.body);
    const byKey = await h.inject({
      method: 'GET',
      url: `/api/org/${target.slug}/overview`,
      headers: { authorization: `Bearer ${key.json().key.secret}`, 'x-forwarded-for': target.owner.ip },
    });
    assert.equal(byKey.statusCode, 200, byKey.body);
    assert.equal('role' in byKey.json(), false, 'a key has no role');
    assert.equal(byKey.json().projectCount, 1);

    const outsider = await h.user();
    const refused = await h.inject({ method: 'GET', url: `/api/org/${target.slug}/overview`, as: outsider });
    assert.equal(refused.statusCode, 404, refused.body);
  });
});
