import { Fragment } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import {
  type AnalysisRow,
  type Asset,
  type AuditChain,
  type AuditEvent,
  type Detail,
  type LivenessAttempt,
  api,
  ApiError,
} from '../api';
import { Badge, ErrorMessage } from '../forms';
import {
  BLOCK_REASON,
  CAPTURE_PHASE,
  DOCUMENT_TYPE,
  LIVENESS_STATUS,
  OVERRIDE_REASONS,
  REVIEW_STATUS,
  RISK,
  SIDE,
  auditEventInWords,
  failureInWords,
  formatDate,
  percent,
} from '../words';
import { riskTone, statusTone } from './verifications';

const settled = (detail: Detail) =>
  detail.assets.every((asset) => !['pending', 'processing', 'queued'].includes(asset.analysisStatus)) &&
  detail.livenessAttempts.every(
    (attempt) => !['pending', 'validating', 'analyzing'].includes(attempt.status),
  );

/** One verification: documents with heatmaps and MRZ, face, liveness, risk, review, audit trail. */
export function DetailPage({ sessionId }: { sessionId: string }) {
  const [detail, setDetail] = useState<Detail | null>(null);
  const [chain, setChain] = useState<AuditChain | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const timer = useRef<number | undefined>(undefined);

  const load = useCallback(async () => {
    clearTimeout(timer.current);
    try {
      const [next, nextChain] = await Promise.all([
        api<Detail>('GET', `/api/dashboard/verifications/${encodeURIComponent(sessionId)}`),
        api<AuditChain>('GET', `/api/dashboard/verifications/${encodeURIComponent(sessionId)}/audit-chain`),
      ]);
      setDetail(next);
      setChain(nextChain);
      setError(null);
      // Live refresh while documents or recordings are still being analysed.
      if (!settled(next)) timer.current = window.setTimeout(load, 3000);
    } catch (caught) {
      setError(caught as ApiError);
    }
  }, [sessionId]);

  useEffect(() => {
    document.title = 'Verification · KYC console';
    setDetail(null);
    void load();
    return () => clearTimeout(timer.current);
  }, [load]);

  if (!detail) {
    return (
      <>
        <p>
          <a href="/dashboard">← All verifications</a>
        </p>
        {error ? <ErrorMessage error={error} /> : <p>Loading the verification…</p>}
      </>
    );
  }
  const { session } = detail;
  const analysisOf = (asset: Asset) => detail.analysisResults.find((row) => row.assetId === asset.id);
  return (
    <>
      <p>
        <a href="/dashboard">← All verifications</a>
      </p>
      <header class="detail-header">
        <h1>{session.externalUserId ?? 'Verification'}</h1>
        <p class="muted mono">{session.id}</p>
        <div class="card-badges">
          <Badge tone={statusTone(session.reviewStatus)}>
            {REVIEW_STATUS[session.reviewStatus] ?? session.reviewStatus}
          </Badge>
          <Badge tone={riskTone(session.riskLabel)}>
            {session.riskLabel ? RISK[session.riskLabel] : 'Risk not assessed'}
          </Badge>
          <Badge tone="muted">{CAPTURE_PHASE[session.capturePhase] ?? session.capturePhase}</Badge>
        </div>
      </header>
      <ErrorMessage error={error} />
      <section class="panel" aria-labelledby="summary-title">
        <h2 id="summary-title">Summary</h2>
        <dl class="facts">
          <dt>Document</dt>
          <dd>
            {session.documentType
              ? (DOCUMENT_TYPE[session.documentType] ?? session.documentType)
              : 'Not chosen yet'}
          </dd>
          <dt>Created</dt>
          <dd>{formatDate(session.createdAt)}</dd>
          <dt>Expires</dt>
          <dd>{formatDate(session.expiresAt)}</dd>
          <dt>Face similarity</dt>
          <dd>
            {session.faceSimilarityScore === null
              ? 'Not measured yet'
              : `${percent(session.faceSimilarityScore)} between the document portrait and the live face`}
          </dd>
          <dt>Risk</dt>
          <dd>{riskInWords(session.riskLabel)}</dd>
          <dt>Automated decision</dt>
          <dd data-testid="block-reason">
            {session.automatedBlockReason
              ? `Blocked: ${BLOCK_REASON[session.automatedBlockReason] ?? session.automatedBlockReason}`
              : 'Not blocked by the automated checks.'}
          </dd>
        </dl>
      </section>
      <section aria-labelledby="documents-title">
        <h2 id="documents-title">Documents</h2>
        {detail.assets.length === 0 ? <p class="empty">No document uploaded yet.</p> : null}
        {detail.assets.map((asset) => (
          <DocumentView
            key={asset.id}
            sessionId={session.id}
            asset={asset}
            analysis={analysisOf(asset)}
            onChanged={load}
          />
        ))}
      </section>
      <section aria-labelledby="liveness-title">
        <h2 id="liveness-title">Liveness</h2>
        {detail.livenessAttempts.length === 0 ? <p class="empty">No liveness attempt yet.</p> : null}
        <ol class="attempts">
          {detail.livenessAttempts.map((attempt, index) => (
            <LivenessView key={attempt.id} attempt={attempt} number={index + 1} />
          ))}
        </ol>
      </section>
      <ReviewForm
        sessionId={session.id}
        reviewStatus={session.reviewStatus}
        blocked={session.automatedBlockReason}
        onReviewed={load}
      />
      <AuditTimeline events={detail.auditEvents} chain={chain} />
    </>
  );
}

function riskInWords(risk: string | null) {
  if (risk === 'high')
    return 'High: at least one check failed or strongly suggests fraud. Review the documents carefully.';
  if (risk === 'medium')
    return 'Medium: something could not be confirmed (an unreadable MRZ, no portrait, weak forensic signals).';
  if (risk === 'low') return 'Low: the automated checks found nothing suspicious.';
  return 'Not assessed yet: the analysis has not finished.';
}

const MRZ_FIELDS: [string, string][] = [
  ['documentCode', 'Document code'],
  ['documentNumber', 'Document number'],
  ['lastName', 'Surname'],
  ['firstName', 'Given names'],
  ['nationality', 'Nationality'],
  ['issuingState', 'Issuing state'],
  ['birthDate', 'Date of birth (YYMMDD)'],
  ['sex', 'Sex'],
  ['expirationDate', 'Expiry (YYMMDD)'],
  ['documentExpiry', 'Expiry date'],
];

const CHECKS: [string, RegExp][] = [
  ['Document number', /document ?number/i],
  ['Date of birth', /birth/i],
  ['Expiry date', /expir/i],
  ['Personal number / optional data', /optional|personal/i],
  ['Composite (whole line)', /global|composite/i],
];

function DocumentView(props: {
  sessionId: string;
  asset: Asset;
  analysis: AnalysisRow | undefined;
  onChanged: () => void;
}) {
  const { asset, analysis } = props;
  const [overlay, setOverlay] = useState<'none' | 'ela' | 'moire'>('none');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<ApiError | string | null>(null);
  const isImage = asset.contentType.startsWith('image/');
  const extracted = analysis?.extracted ?? {};
  const rawScores = (extracted.rawScores ?? {}) as Record<string, number>;
  const heatmap =
    overlay === 'ela'
      ? analysis?.elaHeatmapViewUrl
      : overlay === 'moire'
        ? analysis?.moireHeatmapViewUrl
        : null;
  const side = SIDE[asset.side] ?? asset.side;

  const reanalyze = async () => {
    setBusy(true);
    setMessage(null);
    try {
      await api('POST', `/api/dashboard/verifications/${props.sessionId}/assets/${asset.id}/reanalyze`);
      setMessage(`The ${side.toLowerCase()} was analysed again.`);
      props.onChanged();
    } catch (caught) {
      setMessage(caught as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <article class="panel document" aria-labelledby={`doc-${asset.id}`} data-side={asset.side}>
      <h3 id={`doc-${asset.id}`}>
        {side} <span class="muted">· analysis {asset.analysisStatus}</span>
      </h3>
      <div class="document-grid">
        <div class="document-media">
          {asset.documentViewUrl && isImage ? (
            <figure class="overlay-figure">
              <div class="overlay-stack">
                <img
                  src={asset.documentViewUrl}
                  alt={`${side} of the document as uploaded`}
                  class="document-image"
                />
                {heatmap ? (
                  <img
                    src={heatmap}
                    alt={
                      overlay === 'ela'
                        ? 'Error-level analysis heatmap: bright areas were compressed differently, a sign of editing'
                        : 'Moiré heatmap: bright areas show a screen-like pattern, a sign of a photographed screen'
                    }
                    class="heatmap"
                    data-overlay={overlay}
                  />
                ) : null}
              </div>
              <figcaption>
                <fieldset class="toggles">
                  <legend>Overlay</legend>
                  {(
                    [
                      ['none', 'None'],
                      ['ela', 'ELA heatmap'],
                      ['moire', 'Moiré heatmap'],
                    ] as const
                  ).map(([value, label]) => (
                    <label key={value} class="toggle">
                      <input
                        type="radio"
                        name={`overlay-${asset.id}`}
                        value={value}
                        checked={overlay === value}
                        disabled={
                          value !== 'none' &&
                          !(value === 'ela' ? analysis?.elaHeatmapViewUrl : analysis?.moireHeatmapViewUrl)
                        }
                        onChange={() => setOverlay(value)}
                      />
                      {label}
                    </label>
                  ))}
                </fieldset>
              </figcaption>
            </figure>
          ) : asset.documentViewUrl ? (
            <p>
              <a href={asset.documentViewUrl} target="_blank" rel="noreferrer">
                Open the {side.toLowerCase()} ({asset.contentType})
              </a>
            </p>
          ) : (
            <p class="muted">The file is no longer available.</p>
          )}
        </div>
        <div class="document-facts">
          {analysis ? (
            <>
              {'mrzFound' in extracted ? <MrzView extracted={extracted} /> : null}
              {'portraitFound' in extracted ? (
                <p>
                  Portrait:{' '}
                  {extracted.portraitFound
                    ? `found (confidence ${percent(extracted.portraitConfidence as number)})`
                    : 'not found on this side'}
                </p>
              ) : null}
              <h4>Forensic scores</h4>
              <dl class="facts compact">
                <dt>Tampering (ELA)</dt>
                <dd>{percent(rawScores.elaScore)}</dd>
                <dt>Screen pattern (moiré)</dt>
                <dd>{percent(rawScores.fftScore)}</dd>
                <dt>Combined forensic risk</dt>
                <dd>{percent(rawScores.forensicRiskScore)}</dd>
              </dl>
            </>
          ) : (
            <p class="muted">
              {asset.side === 'poa'
                ? 'Proof of address documents are stored for review, not analysed.'
                : 'No analysis result yet.'}
            </p>
          )}
          {asset.side !== 'poa' && isImage ? (
            <button type="button" class="button secondary small" onClick={reanalyze} disabled={busy}>
              {busy ? 'Analysing…' : `Re-analyse the ${side.toLowerCase()}`}
            </button>
          ) : null}
          {message ? (
            typeof message === 'string' ? (
              <p class="notice" role="status">
                {message}
              </p>
            ) : (
              <ErrorMessage error={message} />
            )
          ) : null}
        </div>
      </div>
    </article>
  );
}

function MrzView({ extracted }: { extracted: Record<string, unknown> }) {
  if (!extracted.mrzFound) {
    return (
      <>
        <h4>Machine-readable zone</h4>
        <p>No MRZ could be read on this side.</p>
      </>
    );
  }
  const invalid = ((extracted.mrzInvalidFields ?? []) as string[]).map(String);
  const lines = (extracted.mrzLines ?? []) as string[];
  return (
    <>
      <h4>Machine-readable zone ({String(extracted.mrzFormat ?? '')})</h4>
      <pre class="mrz">{lines.join('\n')}</pre>
      <dl class="facts compact mrz-fields">
        {MRZ_FIELDS.filter(
          ([key]) => extracted[key] !== undefined && extracted[key] !== null && extracted[key] !== '',
        ).map(([key, label]) => (
          <Fragment key={key}>
            <dt>{label}</dt>
            <dd>{String(extracted[key])}</dd>
          </Fragment>
        ))}
      </dl>
      <h4>Check digits</h4>
      <ul class="checks">
        {CHECKS.map(([label, pattern]) => {
          const failed = invalid.some((field) => pattern.test(field));
          return (
            <li key={label} class={failed ? 'check-failed' : 'check-passed'}>
              <span class="check-mark" aria-hidden="true">
                {failed ? '✗' : '✓'}
              </span>{' '}
              {label}: {failed ? 'does not match' : 'matches'}
            </li>
          );
        })}
      </ul>
      {extracted.documentExpired ? <p class="error-text">The document has expired.</p> : null}
    </>
  );
}

function LivenessView({ attempt, number }: { attempt: LivenessAttempt; number: number }) {
  const signals = (attempt.signalsJson ?? {}) as Record<string, unknown>;
  const video = (signals.video ?? {}) as { signals?: Record<string, unknown> };
  const flat = Object.entries(video.signals ?? signals).filter(([, value]) =>
    ['number', 'boolean', 'string'].includes(typeof value),
  );
  return (
    <li class="panel attempt">
      <h3>
        Attempt {number}: {LIVENESS_STATUS[attempt.status] ?? attempt.status}
      </h3>
      <div class="document-grid">
        <div>
          {attempt.livenessVideoPlaybackUrl ? (
            // biome-ignore lint/a11y/useMediaCaption: a silent camera recording has no speech to caption
            <video
              src={attempt.livenessVideoPlaybackUrl}
              controls
              preload="metadata"
              class="liveness-video"
              aria-label={`Recording of liveness attempt ${number}`}
            />
          ) : (
            <p class="muted">No recording stored.</p>
          )}
        </div>
        <div>
          <dl class="facts compact">
            <dt>Confidence</dt>
            <dd>{percent(attempt.confidenceScore)}</dd>
            <dt>Risk</dt>
            <dd>{attempt.riskLabel ? RISK[attempt.riskLabel] : '—'}</dd>
            <dt>Started</dt>
            <dd>{formatDate(attempt.createdAt)}</dd>
            {attempt.failureReason ? (
              <>
                <dt>Why it failed</dt>
                <dd>{failureInWords(attempt.failureReason)}</dd>
              </>
            ) : null}
          </dl>
          {flat.length ? (
            <details>
              <summary>Signals ({flat.length})</summary>
              <dl class="facts compact">
                {flat.map(([key, value]) => (
                  <Fragment key={key}>
                    <dt>{key}</dt>
                    <dd>{typeof value === 'number' ? Math.round(value * 1000) / 1000 : String(value)}</dd>
                  </Fragment>
                ))}
              </dl>
            </details>
          ) : null}
        </div>
      </div>
    </li>
  );
}

function ReviewForm(props: {
  sessionId: string;
  reviewStatus: string;
  blocked: string | null;
  onReviewed: () => void;
}) {
  const [decision, setDecision] = useState<'approve' | 'reject' | 'request_more_info'>('approve');
  const [rationale, setRationale] = useState('');
  const [override, setOverride] = useState('');
  const [error, setError] = useState<ApiError | string | null>(null);
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);
  // The status this operator is deciding from; a different one on the server is a conflict (409).
  const [basis, setBasis] = useState(props.reviewStatus);
  useEffect(() => {
    if (!busy)
      setBasis((current) =>
        error instanceof ApiError && error.code === 'REVIEW_CONFLICT' ? current : props.reviewStatus,
      );
  }, [props.reviewStatus]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setDone('');
    if (rationale.trim().length < 10) {
      setError('Write a rationale of at least 10 characters: it is kept in the audit trail.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const result = await api<{ reviewStatus: string }>(
        'POST',
        `/api/dashboard/verifications/${props.sessionId}/review`,
        {
          decision,
          rationale: rationale.trim(),
          expectedReviewStatus: basis,
          ...(override ? { overrideReason: override } : {}),
        },
      );
      setDone(
        `Saved: the verification is now ${(REVIEW_STATUS[result.reviewStatus] ?? result.reviewStatus).toLowerCase()}.`,
      );
      setBasis(result.reviewStatus);
      setRationale('');
      setOverride('');
      props.onReviewed();
    } catch (caught) {
      setError(caught as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const conflict = error instanceof ApiError && error.code === 'REVIEW_CONFLICT';
  return (
    <section class="panel" aria-labelledby="review-title">
      <h2 id="review-title">Review</h2>
      <p>
        Current status: <strong>{REVIEW_STATUS[props.reviewStatus] ?? props.reviewStatus}</strong>
        {props.blocked ? ' (blocked by the automated checks; approving overrides the block)' : ''}
      </p>
      <form onSubmit={submit} noValidate>
        <fieldset class="decision">
          <legend>Decision</legend>
          {(
            [
              ['approve', 'Approve'],
              ['reject', 'Reject'],
              ['request_more_info', 'Request more information'],
            ] as const
          ).map(([value, label]) => (
            <label key={value} class="toggle">
              <input
                type="radio"
                name="decision"
                value={value}
                checked={decision === value}
                onChange={() => setDecision(value)}
              />
              {label}
            </label>
          ))}
        </fieldset>
        <div class="field">
          <label for="rationale">Rationale</label>
          <p class="hint" id="rationale-hint">
            At least 10 characters. Kept in the audit trail and shown to other operators.
          </p>
          <textarea
            id="rationale"
            rows={3}
            value={rationale}
            minLength={10}
            maxLength={4000}
            required
            aria-describedby="rationale-hint"
            onInput={(e) => setRationale((e.target as HTMLTextAreaElement).value)}
          />
        </div>
        <div class="field">
          <label for="override">Override reason (optional)</label>
          <select
            id="override"
            value={override}
            onChange={(e) => setOverride((e.target as HTMLSelectElement).value)}
          >
            <option value="">No override</option>
            {OVERRIDE_REASONS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div role="alert" class="review-alert">
          {error ? (
            <div class="error">
              <p>{typeof error === 'string' ? error : error.words}</p>
              {conflict ? (
                <button
                  type="button"
                  class="button secondary small"
                  onClick={() => {
                    setError(null);
                    setBasis(props.reviewStatus);
                    props.onReviewed();
                  }}
                >
                  Load their decision
                </button>
              ) : null}
            </div>
          ) : null}
        </div>
        <p role="status" class="notice-slot">
          {done}
        </p>
        <button class="button primary" type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Submit review'}
        </button>
      </form>
    </section>
  );
}

function AuditTimeline({ events, chain }: { events: AuditEvent[]; chain: AuditChain | null }) {
  const validity = new Map(chain?.events.map((event) => [event.id, event]) ?? []);
  return (
    <section class="panel" aria-labelledby="audit-title">
      <h2 id="audit-title">Audit trail</h2>
      <p
        class={`chain ${chain ? (chain.intact ? 'chain-ok' : 'chain-broken') : ''}`}
        data-testid="chain-state"
      >
        {chain === null
          ? 'Checking the hash chain…'
          : chain.intact
            ? `Hash chain verified: all ${chain.checked} events are unaltered and in sequence (checked ${formatDate(chain.verifiedAt)}).`
            : `Hash chain broken: an event was altered or removed (first failing event ${chain.brokenEventId}). Treat this trail as untrustworthy and escalate.`}
      </p>
      <ol class="timeline">
        {[...events].reverse().map((event) => {
          const link = validity.get(event.id);
          const payload = event.payload ?? {};
          return (
            <li key={event.id} class="timeline-item" data-event-type={event.eventType}>
              <p class="timeline-title">
                <strong>{auditEventInWords(event.eventType)}</strong>{' '}
                <time dateTime={event.createdAt}>{formatDate(event.createdAt)}</time>
              </p>
              <p class="muted">
                by{' '}
                {event.actorType === 'operator'
                  ? 'an operator'
                  : event.actorType === 'end_user'
                    ? 'the end user'
                    : event.actorType === 'api_key'
                      ? 'the API'
                      : 'the system'}
                {typeof payload.decision === 'string'
                  ? ` · decision: ${payload.decision.replaceAll('_', ' ')}`
                  : ''}
                {typeof payload.overrideReason === 'string'
                  ? ` · override: ${payload.overrideReason.replaceAll('_', ' ')}`
                  : ''}
                {typeof payload.side === 'string'
                  ? ` · ${SIDE[payload.side]?.toLowerCase() ?? payload.side}`
                  : ''}
              </p>
              {event.rationale ? <blockquote>{event.rationale}</blockquote> : null}
              {link ? (
                <p class={`hash ${link.valid ? '' : 'error-text'}`}>
                  <span aria-hidden="true">{link.valid ? '✓' : '✗'}</span>{' '}
                  {link.valid ? 'Chained' : 'Chain check failed'} · hash <code>{link.hash.slice(0, 12)}</code>
                </p>
              ) : null}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
