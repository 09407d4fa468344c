// kyc benchmarks, each against a baseline measured in the same run:
// 1. document analysis time per 1600×1000 JPEG (target ≤ 1.5 s on 2 cores), against a plain
//    decode + re-encode of the same image;
// 2. `GET /api/verification/sessions/{id}` throughput against a bare Fastify route answering the
//    same bytes (target ratio ≥ 0.5).
// Run: node --import tsx bench/kyc-bench.ts
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { bootService } from '@trustplane/kernel/testkit';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { createVisionDocumentAnalyzer } from '../services/kyc/src/analysis/document-analyzer.js';
import { createKycDefinition } from '../services/kyc/src/index.js';

const require = createRequire(import.meta.resolve('@trustplane/vision'));
const sharp = require('sharp') as typeof import('sharp').default;
const DURATION = Number(process.env.BENCH_SECONDS ?? 8);

async function analysisBench() {
  const source = await readFile(
    new URL('../packages/vision/test/documents/td3-fra-martin-recto.jpg', import.meta.url),
  );
  const image = await sharp(source).resize(1600, 1000, { fit: 'fill' }).jpeg({ quality: 92 }).toBuffer();
  const analyzer = createVisionDocumentAnalyzer({ ocrWorkers: 1 });
  await analyzer.analyze(image, { readMrz: true, detectPortrait: true }); // loads models
  const runs = 5;
  let started = performance.now();
  for (let i = 0; i < runs; i += 1) await analyzer.analyze(image, { readMrz: true, detectPortrait: true });
  const analysisMs = (performance.now() - started) / runs;
  started = performance.now();
  for (let i = 0; i < runs; i += 1) await sharp(image).jpeg({ quality: 90 }).toBuffer();
  const baselineMs = (performance.now() - started) / runs;
  await analyzer.close();
  return { analysisMs, baselineMs };
}

async function load(url: string, headers: Record<string, string>) {
  const result = await autocannon({ url, headers, connections: 16, duration: DURATION });
  return result.requests.average;
}

async function throughputBench() {
  Object.assign(process.env, { KYC_PASSWORD_HASH_MEMORY_KIB: '4096', KYC_PASSWORD_HASH_TIME_COST: '1' });
  const definition = createKycDefinition();
  const booted = await bootService(definition);
  const app = booted.app;
  const email = `bench-${randomUUID()}@example.com`;
  await app.inject({
    method: 'POST',
    url: '/api/auth/signup',
    payload: { fullName: 'B', email, password: 'bench password', acceptedTerms: true },
  });
  const login = await app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email, password: 'bench password' },
  });
  const cookie = `kyc_session=${login.cookies.find((c) => c.name === 'kyc_session')?.value}`;
  const org = await app.inject({
    method: 'POST',
    url: '/api/organizations',
    headers: { cookie },
    payload: { customerId: randomUUID(), legalEmail: 'a@b.co', displayName: 'Bench' },
  });
  const keys = await app.inject({
    method: 'POST',
    url: `/api/dashboard/organizations/${org.json().organization.id}/api-keys`,
    headers: { cookie },
    payload: { environment: 'test' },
  });
  const created = await app.inject({
    method: 'POST',
    url: '/api/verification/sessions',
    headers: { authorization: `Bearer ${keys.json().secret.raw}` },
  });
  const { sessionId, token } = created.json();
  const path = `/api/verification/sessions/${sessionId}`;
  const sample = await app.inject({ method: 'GET', url: path, headers: { 'x-verification-token': token } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const kycPort = (app.server.address() as { port: number }).port;

  const bare = Fastify();
  const body = sample.body;
  bare.get('/api/verification/sessions/:id', async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(body),
  );
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const barePort = (bare.server.address() as { port: number }).port;

  const headers = { 'x-verification-token': token };
  await load(`http://127.0.0.1:${kycPort}${path}`, headers); // warm-up
  const bareRps = await load(`http://127.0.0.1:${barePort}${path}`, headers);
  const kycRps = await load(`http://127.0.0.1:${kycPort}${path}`, headers);
  await bare.close();
  await booted.close();
  return { kycRps, bareRps };
}

const analysis = await analysisBench();
console.log(
  JSON.stringify({
    benchmark: 'kyc document analysis, 1600x1000 JPEG',
    analysisMsPerImage: Math.round(analysis.analysisMs),
    baselineDecodeEncodeMs: Math.round(analysis.baselineMs),
    ratioToBaseline: Math.round((analysis.analysisMs / analysis.baselineMs) * 10) / 10,
    targetMs: 1500,
    withinTarget: analysis.analysisMs <= 1500,
  }),
);
const throughput = await throughputBench();
console.log(
  JSON.stringify({
    benchmark: 'GET /api/verification/sessions/{id} vs bare Fastify (same bytes)',
    kycRequestsPerSecond: Math.round(throughput.kycRps),
    bareRequestsPerSecond: Math.round(throughput.bareRps),
    ratio: Math.round((throughput.kycRps / throughput.bareRps) * 100) / 100,
    target: 0.5,
  }),
);
process.exit(0);
