// Hosted verification flow: consent to the privacy notice → document type → each side (camera
// with a document frame, or a file), previewed with retake and checked for blur, darkness and
// glare before upload → the server's analysis judges each ID image (no readable MRZ or no portrait:
// "we couldn't read your document", retake, bounded) → liveness (a recording of the user following
// the challenge init handed out, analysed by the service) → "submitted", then the tenant's returnUrl.
import './app.css';
import { ApiError, type Asset, type HostedContext, type Session, SessionApi, type Side } from './api.js';
import { snapshot, startCamera, stopCamera } from './camera.js';
import { explain } from './explain.js';
import { qrDataUrl } from './handoff.js';
import { language, type MessageKey, t, translate } from './i18n.js';
import {
  actionText,
  describeFailure,
  probeSamples,
  record,
  recordingType,
  runPrompts,
  sampleLiveness,
  watchOval,
} from './liveness.js';
import { assessImage } from './quality.js';

const STEPS = [
  'step-consent',
  'step-type',
  'step-capture',
  'step-preview',
  'step-unreadable',
  'step-liveness',
  'step-handoff',
  'step-done',
  'step-ended',
] as const;
type Step = (typeof STEPS)[number];
/** "Step n of 4": consent, document type, document photos, selfie video. */
const PROGRESS: Partial<Record<Step, number>> = {
  'step-consent': 1,
  'step-type': 2,
  'step-capture': 3,
  'step-preview': 3,
  'step-unreadable': 3,
  'step-liveness': 4,
};
const TOTAL_STEPS = 4;
const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
/** How long the page waits for the server's verdict on an ID image before moving on. */
const VERDICT_WAIT_MS = 180_000;

function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

let current: Step | undefined;

/** Shows one step, says where the user is ("Step 2 of 4") and moves focus to its heading. */
function show(step: Step, options: { keepError?: boolean } = {}) {
  for (const id of STEPS) element(id).hidden = id !== step;
  document.body.dataset.step = step;
  current = step;
  const number = PROGRESS[step];
  const progress = element('progress');
  progress.hidden = number === undefined;
  progress.textContent = number === undefined ? '' : t('progress', { step: number, total: TOTAL_STEPS });
  if (!options.keepError) clearError();
  element(step).querySelector<HTMLElement>('h2')?.focus();
}

function status(text: string) {
  element('status').textContent = text;
}

function showError(text: string) {
  element('error').textContent = text;
}

function clearError() {
  element('error').textContent = '';
}

// The token arrives in the fragment (never sent to servers); keep it for reloads of this tab only.
const sessionId = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');
const storageKey = `kyc:${sessionId}`;
const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? sessionStorage.getItem(storageKey);
if (token) sessionStorage.setItem(storageKey, token);
history.replaceState(null, '', `${location.pathname}${location.search}`);

const api = new SessionApi(sessionId, token ?? '');
let context: HostedContext | undefined;
let session: Session | undefined;
/** The side being captured (the phase's own, or a retake of an unreadable one). */
let side: Side | undefined;
let pending: Blob | undefined;
let previewUrl: string | undefined;
let busy = false;

const orgName = () => context?.organization.displayName || t('brandFallback');
const vars = () => ({ name: orgName() });

/** Runs one user action at a time; a refusal is explained in plain words. */
async function act(action: () => Promise<void>) {
  if (busy) return;
  busy = true;
  document.body.classList.add('busy');
  try {
    await action();
  } catch (error) {
    status('');
    await handle(error);
  } finally {
    busy = false;
    document.body.classList.remove('busy');
  }
}

async function handle(error: unknown) {
  const explanation = explain(error);
  if (explanation.kind === 'ended') {
    if (explanation.reason === 'expired') context = await api.context().catch(() => context);
    ended(explanation.reason);
    return;
  }
  if (explanation.kind === 'stepChanged') {
    render(await api.session());
    showError(t('error.stepChanged'));
    return;
  }
  showError(t(explanation.key, vars()));
}

function brand(organization: HostedContext['organization']) {
  const name = organization.displayName || t('brandFallback');
  element('brand-name').textContent = name;
  const logo = element<HTMLImageElement>('brand-logo');
  if (organization.logoUrl) {
    logo.src = organization.logoUrl;
    logo.alt = t('logoAlt', { name });
    logo.hidden = false;
  }
  translate(document, { name });
}

/** The link cannot go on: expired (back to the tenant) or not valid. */
function ended(reason: 'expired' | 'invalidLink', text?: string) {
  stopCamera();
  element('ended-title').textContent = t(
    reason === 'expired' ? 'error.expired.title' : 'error.invalidLink.title',
  );
  element('ended-text').textContent =
    text ?? t(reason === 'expired' ? 'error.expired' : 'error.invalidLink', vars());
  const link = element<HTMLAnchorElement>('ended-link');
  if (context?.returnUrl) {
    link.href = context.returnUrl;
    link.textContent = t('error.back', vars());
    link.hidden = false;
  }
  status('');
  show('step-ended');
}

const latestOf = (assets: Asset[], of: Side) =>
  assets.filter((asset) => asset.side === of).sort((a, b) => b.attempt - a.attempt)[0];

function render(next: Session) {
  session = next;
  status('');
  if (next.capturePhase === 'document_type') {
    show('step-type');
    return;
  }
  // A side the server could not read, reopened: ask for it again.
  const retake = next.assets.find(
    (asset) => asset.retakeAllowed && latestOf(next.assets, asset.side) === asset,
  );
  if (retake) {
    unreadable(retake);
    return;
  }
  if (next.capturePhase === 'complete') {
    showLiveness();
    return;
  }
  capture(next.capturePhase);
}

function capture(of: Side) {
  side = of;
  stopCamera();
  element('viewfinder').hidden = true;
  element('snap').hidden = true;
  element('use-camera').hidden = false;
  const type = session?.documentType ?? 'id_card';
  element('capture-title').textContent = t(`capture.${of}`);
  element('capture-hint').textContent = t(of === 'poa' ? 'guide.poa' : (`guide.${type}.${of}` as MessageKey));
  element('frame').dataset.shape = of === 'poa' ? 'sheet' : type === 'passport' ? 'page' : 'card';
  element('step-capture').dataset.side = of;
  show('step-capture', { keepError: true });
}

/** A capture or chosen file: checked, then previewed with retake before anything is uploaded. */
async function preview(blob: Blob, name?: string) {
  if (!side) return;
  const allowed = side === 'poa' ? [...IMAGE_TYPES, 'application/pdf'] : IMAGE_TYPES;
  if (!allowed.includes(blob.type)) {
    showError(t('error.fileType'));
    return;
  }
  if (blob.size > MAX_UPLOAD_BYTES) {
    showError(t('error.fileSize'));
    return;
  }
  stopCamera();
  pending = blob;
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = undefined;
  const image = element<HTMLImageElement>('preview');
  const file = element('preview-file');
  if (blob.type.startsWith('image/')) {
    previewUrl = URL.createObjectURL(blob);
    image.src = previewUrl;
    image.alt = t('preview.alt');
    image.hidden = false;
    file.hidden = true;
  } else {
    image.hidden = true;
    file.textContent = t('preview.file', { name: name ?? 'PDF' });
    file.hidden = false;
  }
  const quality = await assessImage(blob);
  const warnings = element('quality-warnings');
  warnings.replaceChildren(
    ...(quality?.problems ?? []).map((problem) => {
      const item = document.createElement('li');
      item.textContent = t(`quality.${problem}`);
      return item;
    }),
  );
  const poor = (quality?.problems.length ?? 0) > 0;
  element('step-preview').dataset.quality = poor ? quality?.problems.join(',') : 'ok';
  element('preview-use').textContent = t(poor ? 'preview.useAnyway' : 'preview.use');
  element('preview-use').className = poor ? 'secondary' : '';
  element('preview-retake').className = poor ? '' : 'secondary';
  show('step-preview');
}

/** Uploads the previewed capture; for an ID image, waits for the server's verdict on it. */
async function upload() {
  if (!pending || !side) return;
  const uploaded = side;
  const next = await api.upload(uploaded, pending, (stage) =>
    status(t(stage === 'uploading' ? 'upload.uploading' : 'upload.checking')),
  );
  pending = undefined;
  if (uploaded === 'poa') {
    render(next);
    return;
  }
  const verdict = await awaitVerdict(uploaded);
  if (verdict?.unreadableReasons.length) {
    status('');
    unreadable(verdict);
    return;
  }
  render(session ?? next);
  if (!verdict) status(t('upload.later'));
}

/** Polls the session until the newest upload of `of` is analysed (undefined: not in time). */
async function awaitVerdict(of: Side): Promise<Asset | undefined> {
  const deadline = Date.now() + VERDICT_WAIT_MS;
  for (;;) {
    session = await api.session();
    const asset = latestOf(session.assets, of);
    if (asset && (asset.analysisStatus === 'completed' || asset.analysisStatus === 'failed')) return asset;
    if (Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** "We couldn't read your document": a retake while attempts remain, then on to review. */
function unreadable(asset: Asset) {
  side = asset.side;
  const reasons = element('unreadable-reasons');
  reasons.replaceChildren(
    ...asset.unreadableReasons.map((reason) => {
      const item = document.createElement('li');
      item.textContent = t(`unreadable.${reason}` as MessageKey);
      return item;
    }),
  );
  element('unreadable-title').textContent = t(
    asset.retakeAllowed ? 'unreadable.title' : 'unreadable.lastTitle',
  );
  element('unreadable-next').textContent = asset.retakeAllowed
    ? t('unreadable.next', { left: Math.max(0, 3 - asset.attempt) })
    : t('unreadable.last');
  element('unreadable-retake').hidden = !asset.retakeAllowed;
  element('unreadable-continue').hidden = asset.retakeAllowed;
  element('step-unreadable').dataset.side = asset.side;
  element('step-unreadable').dataset.reasons = asset.unreadableReasons.join(',');
  show('step-unreadable');
}

function showLiveness() {
  element('start-liveness').hidden = false;
  element('liveness-retry').hidden = true;
  element('liveness-finish').hidden = true;
  show('step-liveness', { keepError: true });
}

/** The finished flow: recorded on the server, then back to the tenant. */
async function done(kind: 'submitted' | 'pending' | 'review' | 'already') {
  stopCamera();
  if (kind !== 'already') await api.submit();
  context = await api.context().catch(() => context);
  element('done-text').textContent = t(`done.${kind}`, vars());
  status('');
  show('step-done');
  const returnUrl = context?.returnUrl;
  if (!returnUrl) return;
  const link = element<HTMLAnchorElement>('return-link');
  link.href = returnUrl;
  link.textContent = t('done.return', vars());
  link.hidden = false;
  if (kind !== 'already') setTimeout(() => location.assign(returnUrl), 1500);
}

async function runLiveness() {
  element('liveness-retry').hidden = true;
  element('liveness-finish').hidden = true;
  element('start-liveness').hidden = true;
  clearError();
  const video = element<HTMLVideoElement>('selfie');
  const prompt = element('liveness-prompt');
  const feedback = element('liveness-feedback');
  const oval = element('oval');
  const progress = element<HTMLProgressElement>('liveness-progress');
  const stepsList = element('liveness-steps');
  progress.value = 0;
  let stopWatching = () => {};
  try {
    // A browser that cannot film or record is told so before an attempt is used up.
    if (!navigator.mediaDevices?.getUserMedia) throw new Error('no-camera');
    try {
      recordingType();
    } catch {
      showError(t('liveness.cannotRecord'));
      element('liveness-finish').hidden = false;
      return;
    }
    let started: Awaited<ReturnType<SessionApi['livenessInit']>>;
    try {
      started = await api.livenessInit();
    } catch (error) {
      if (error instanceof ApiError && error.code === 'LIVENESS_ATTEMPTS_EXCEEDED') {
        showError(t('error.livenessAttempts'));
        element('liveness-finish').hidden = false;
        return;
      }
      throw error;
    }
    const { requestId, challenge } = started;
    stepsList.replaceChildren(
      ...challenge.steps.map((step) => {
        const item = document.createElement('li');
        item.textContent = actionText(step.action);
        return item;
      }),
    );
    stepsList.hidden = false;
    element('liveness-steps-title').hidden = false;
    let stream: MediaStream;
    try {
      stream = await startCamera(video, 'user');
    } catch {
      throw new Error('no-camera');
    }
    stopWatching = watchOval(video, (state) => {
      oval.dataset.state = state;
      feedback.textContent = t(`liveness.feedback.${state}`);
    });
    status(t('liveness.recordingStatus'));
    progress.max = challenge.recordingMs;
    let stopPrompts = () => {};
    let probe: Promise<Awaited<ReturnType<typeof sampleLiveness>>> | undefined;
    const recording = await record(stream, challenge.recordingMs, () => {
      stopPrompts = runPrompts(
        challenge,
        performance.now(),
        (text, index) => {
          prompt.textContent = text;
          stepsList.querySelectorAll('li').forEach((item, i) => {
            if (i === index) item.setAttribute('aria-current', 'step');
            else item.removeAttribute('aria-current');
          });
        },
        (elapsed) => {
          progress.value = Math.min(elapsed, challenge.recordingMs);
        },
      );
      probe = sampleLiveness(video, probeSamples(challenge.recordingMs));
    }).finally(() => stopPrompts());
    prompt.textContent = '';
    const sample = await (probe as NonNullable<typeof probe>);
    stopWatching();
    stopCamera();
    feedback.textContent = '';
    status(t('liveness.uploading'));
    const linked = await api.uploadLivenessVideo(requestId, recording);
    status(t('liveness.checking'));
    const result = await api.livenessComplete({
      requestId,
      challengeType: 'head_turn',
      ...sample,
      ...linked,
    });
    if (result.passed) {
      await done('submitted');
      return;
    }
    if (result.status === 'pending') {
      await done('pending');
      return;
    }
    status('');
    showError(
      `${t('liveness.failed', { reasons: describeFailure(result.failureCodes) })} ${t('liveness.failedNext')}`,
    );
    element('liveness-result').dataset.failureCodes = result.failureCodes.join(',');
  } catch (error) {
    stopWatching();
    stopCamera();
    prompt.textContent = '';
    feedback.textContent = '';
    status('');
    if (error instanceof Error && error.message === 'no-camera') showError(t('liveness.noCamera'));
    else if (error instanceof ApiError) {
      await handle(error);
      if (current !== 'step-liveness') return;
    } else showError(t('error.generic', vars()));
  }
  element('liveness-retry').hidden = false;
  element('liveness-finish').hidden = false;
}

let beforeHandoff: Step = 'step-capture';
async function handoff() {
  if (!token) return;
  beforeHandoff = current ?? 'step-capture';
  stopCamera();
  const link = `${location.origin}${location.pathname}${location.search}#token=${encodeURIComponent(token)}`;
  const qr = element<HTMLImageElement>('handoff-qr');
  qr.src = await qrDataUrl(link);
  qr.alt = t('handoff.qrAlt');
  show('step-handoff');
}

// Wiring.
document.documentElement.lang = language;
document.title = t('pageTitle');
translate(document, { name: t('brandFallback') });

element('consent-continue').addEventListener('click', () =>
  act(async () => {
    if (!element<HTMLInputElement>('consent-agree').checked) {
      showError(t('consent.required'));
      element('consent-agree').focus();
      return;
    }
    await api.consent();
    render(await api.session());
  }),
);
for (const button of document.querySelectorAll<HTMLButtonElement>('[data-type]')) {
  button.addEventListener('click', () =>
    act(async () => render(await api.chooseDocumentType(button.dataset.type ?? ''))),
  );
}
element<HTMLInputElement>('file').addEventListener('change', (event) => {
  const input = event.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = '';
  if (file) void act(() => preview(file, file.name));
});
element('use-camera').addEventListener('click', () =>
  act(async () => {
    element('viewfinder').hidden = false;
    try {
      await startCamera(element<HTMLVideoElement>('camera'), 'environment');
    } catch {
      element('viewfinder').hidden = true;
      showError(t('capture.noCamera'));
      return;
    }
    element('use-camera').hidden = true;
    element('snap').hidden = false;
    element('snap').focus();
  }),
);
element('snap').addEventListener('click', () =>
  act(async () => preview(await snapshot(element<HTMLVideoElement>('camera')))),
);
element('preview-retake').addEventListener('click', () => {
  pending = undefined;
  if (side) capture(side);
});
element('preview-use').addEventListener('click', () => act(upload));
element('unreadable-retake').addEventListener('click', () => {
  if (side) capture(side);
});
element('unreadable-continue').addEventListener('click', () =>
  act(async () => {
    const next = await api.session();
    session = { ...next, assets: next.assets.map((asset) => ({ ...asset, retakeAllowed: false })) };
    render(session);
  }),
);
element('start-liveness').addEventListener('click', () => act(runLiveness));
element('liveness-retry').addEventListener('click', () => act(runLiveness));
element('liveness-finish').addEventListener('click', () => act(() => done('review')));
for (const button of document.querySelectorAll<HTMLButtonElement>('.handoff-open')) {
  button.addEventListener('click', () => act(handoff));
}
element('handoff-close').addEventListener('click', () => {
  if (beforeHandoff === 'step-capture' && side) capture(side);
  else show(beforeHandoff);
});

if (!token) {
  ended('invalidLink', t('error.missingToken'));
} else {
  void act(async () => {
    status(t('loading'));
    context = await api.context();
    brand(context.organization);
    status('');
    if (context.submitted) return done('already');
    if (context.expired) return ended('expired');
    if (!context.consented) return show('step-consent');
    render(await api.session());
  });
}
