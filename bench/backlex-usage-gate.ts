// backlex usage gate: the data API's per-request usage hook (`usage.admit(orgId, projectId)`:
// the org's restriction looked up in memory, the request counted in memory) against a baseline
// measured in the same run, in interleaved rounds: a bare `Map` counter increment per request
// (the least any in-memory count costs). No I/O on this path: PostgreSQL sees one batched upsert
// per flush, not a write per request. The gate logs nothing per request, so log levels do not
// apply (reported for both anyway: `info`, `silent` give the same path).
// Run: setsid sh -c 'echo -10 > /proc/self/autogroup && exec nice -n -10 npx tsx bench/backlex-usage-gate.ts'
//   (ROUNDS, CALLS, PROJECTS)
import { systemClock } from '../services/backlex/src/billing/clock.js';
import { createUsageGate } from '../services/backlex/src/usage/usage-gate.js';
import { median, spread } from './support/statistics.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const CALLS = Number(process.env.CALLS ?? 2_000_000);
const PROJECTS = Number(process.env.PROJECTS ?? 1_000);

const written: number[] = [];
const gate = createUsageGate({
  repository: {
    addRequests: async (counts) => {
      written.push(counts.length);
    },
    restrictedOrgs: async () => [],
    enforcementOf: async () => undefined,
  },
  clock: systemClock,
  flushIntervalMs: 3_600_000,
  afterFlush: async () => undefined,
  listen: async () => async () => undefined,
  logWarning: () => undefined,
});
await gate.start();
// A few restricted orgs, as in production (read-only ones are admitted: the lookup is on the path).
for (let index = 0; index < 10; index += 1)
  gate.apply(`org_${index}`, {
    requestThrottled: false,
    storageReadOnly: true,
    periodEnd: new Date(Date.now() + 3_600_000),
  });

const projects = Array.from({ length: PROJECTS }, (_, index) => ({
  org: `org_${index % 200}`,
  id: `prj_${index}`,
}));

function gateRound(): number {
  const started = process.hrtime.bigint();
  for (let call = 0; call < CALLS; call += 1) {
    const project = projects[call % PROJECTS] as { org: string; id: string };
    gate.admit(project.org, project.id);
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function baselineRound(): number {
  const counts = new Map<string, number>();
  const started = process.hrtime.bigint();
  for (let call = 0; call < CALLS; call += 1) {
    const project = projects[call % PROJECTS] as { org: string; id: string };
    counts.set(project.id, (counts.get(project.id) ?? 0) + 1);
  }
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const gateRates: number[] = [];
const baseRates: number[] = [];
const ratios: number[] = [];
for (let round = 0; round < ROUNDS; round += 1) {
  const base = CALLS / baselineRound();
  const measured = CALLS / gateRound();
  baseRates.push(base);
  gateRates.push(measured);
  ratios.push(measured / base);
}
await gate.flush();
await gate.close();
const format = (value: number) => `${(value / 1e6).toFixed(2)} M/s`;
for (const level of ['info', 'silent']) {
  console.log(
    `[${level}] admit(): ${format(median(gateRates))} (${(1e9 / median(gateRates)).toFixed(0)} ns/call) vs bare Map counter ${format(median(baseRates))}: ratio ${median(ratios).toFixed(2)} (${spread(ratios, 2)})`,
  );
}
console.log(
  `flush: ${written.reduce((sum, rows) => sum + rows, 0)} rows for ${ROUNDS * CALLS} requests (one per project and day), ${written.length} batch call(s); load ${(await import('node:os')).loadavg()[0]?.toFixed(1)}`,
);
