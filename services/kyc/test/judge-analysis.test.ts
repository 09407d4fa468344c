import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mrzExpiryDate as expiryDate } from '@trustplane/vision';
import { judgeAnalysis } from '../src/analysis/analysis-pipeline.js';
import { loadKycConfig } from '../src/config.js';
import { phaseAfterDocumentType, phaseAfterUpload, sideRefusal } from '../src/verification/capture-phase.js';
import { ScriptedAnalyzer } from './helpers.js';

const config = loadKycConfig({});
const analyzer = new ScriptedAnalyzer();
const analysis = async (
  outcome: ScriptedAnalyzer['next'],
  options = { readMrz: true, detectPortrait: true },
) => {
  analyzer.next = outcome;
  return analyzer.analyze(new Uint8Array(), options);
};
const NOW = new Date('2026-11-23T12:00:00Z');

describe('judgeAnalysis', () => {
  it('reads YYMMDD expiry dates and refuses impossible ones', () => {
    assert.equal(expiryDate('310611')?.toISOString().slice(0, 10), '2031-06-11');
    assert.equal(expiryDate('310231'), null);
    assert.equal(expiryDate('31<<11'), null);
    assert.equal(expiryDate(null), null);
  });

  it('a clean document is low risk with the three raw scores', async () => {
    const verdict = judgeAnalysis(await analysis({}), config, { now: NOW });
    assert.equal(verdict.riskLabel, 'low');
    assert.equal(verdict.blockReason, null);
    assert.equal(verdict.extracted.documentExpired, false);
    assert.deepEqual(Object.keys(verdict.rawScores).sort(), ['elaScore', 'fftScore', 'forensicRiskScore']);
  });

  it('hard failures: check digits first, then expiry, then tampering', async () => {
    assert.equal(
      judgeAnalysis(await analysis({ mrzValid: false, ela: 0.9 }), config, { now: NOW }).blockReason,
      'MRZ_CHECK_DIGIT_MISMATCH',
    );
    assert.equal(
      judgeAnalysis(await analysis({ expirationDate: '261122' }), config, { now: NOW }).blockReason,
      'DOCUMENT_EXPIRED',
    );
    assert.equal(
      judgeAnalysis(await analysis({ expirationDate: '261123' }), config, { now: NOW }).blockReason,
      null,
    );
    assert.equal(
      judgeAnalysis(await analysis({ ela: 0.5 }), config, { now: NOW }).blockReason,
      'DOCUMENT_TAMPERING_DETECTED',
    );
  });

  it('whole-image ELA (no portrait) never rejects; moiré is high risk without rejection', async () => {
    const back = await analysis({ ela: 0.95 }, { readMrz: true, detectPortrait: false });
    const verdict = judgeAnalysis(back, config, { now: NOW });
    assert.equal(verdict.blockReason, null);
    assert.equal(verdict.riskLabel, 'medium');
    const screen = judgeAnalysis(await analysis({ moire: 0.9 }), config, { now: NOW });
    assert.equal(screen.riskLabel, 'high');
    assert.equal(screen.blockReason, null);
    assert.equal(screen.rawScores.forensicRiskScore, 0.905);
  });

  it('a missing portrait or MRZ is medium risk', async () => {
    assert.equal(
      judgeAnalysis(await analysis({ portrait: false }), config, { now: NOW }).riskLabel,
      'medium',
    );
    assert.equal(
      judgeAnalysis(await analysis({ mrzFound: false }), config, { now: NOW }).riskLabel,
      'medium',
    );
    assert.equal(
      judgeAnalysis(await analysis({ mrzFound: false }), config, { now: NOW, expectMrz: false }).riskLabel,
      'low',
    );
  });
});

describe('capture phases', () => {
  it('walks passport and card flows and names the refusal', () => {
    assert.equal(phaseAfterDocumentType('passport'), 'single');
    assert.equal(phaseAfterDocumentType('drive_eta'), 'front');
    assert.equal(phaseAfterUpload('front', 'front'), 'back');
    assert.equal(phaseAfterUpload('back', 'back'), 'poa');
    assert.equal(phaseAfterUpload('single', 'single'), 'poa');
    assert.equal(phaseAfterUpload('poa', 'poa'), 'complete');
    assert.equal(phaseAfterUpload('front', 'back'), undefined);
    assert.equal(phaseAfterUpload('complete', 'poa'), undefined);
    assert.match(sideRefusal('document_type', 'front') ?? '', /document type/);
    assert.match(sideRefusal('complete', 'poa') ?? '', /complete/);
    assert.equal(sideRefusal('poa', 'poa'), undefined);
  });
});
