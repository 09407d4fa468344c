// Hosted verification flow: document type → capture of each side (camera or file) with a
// presigned upload → liveness (a recording of the user following the challenge init handed out,
// uploaded and analysed by the service) → the tenant's returnUrl with session_id and status.
import './app.css';
import { ApiError, type CapturePhase, type Session, SessionApi } from './api.js';
import { snapshot, startCamera, stopCamera } from './camera.js';
import {
  describeFailure,
  probeSamples,
  record,
  recordingType,
  runPrompts,
  sampleLiveness,
} from './liveness.js';

const STEPS = ['step-type', 'step-capture', 'step-liveness', 'step-done'] as const;
type Step = (typeof STEPS)[number];

const SIDE_TEXT: Record<Exclude<CapturePhase, 'document_type' | 'complete'>, [string, string]> = {
  front: ['Front of your document', 'Photograph the side with your portrait.'],
  back: ['Back of your document', 'Photograph the side with the machine-readable zone.'],
  single: ['Your passport photo page', 'Include the two lines of characters at the bottom.'],
  poa: ['Proof of address', 'A recent utility bill or bank statement (photo or PDF).'],
};

function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

function show(step: Step) {
  for (const id of STEPS) element(id).hidden = id !== step;
  document.body.dataset.step = step;
}

function status(text: string, kind: 'info' | 'error' = 'info') {
  const line = element('status');
  line.textContent = text;
  line.className = kind === 'error' ? 'error' : '';
  line.setAttribute('role', kind === 'error' ? 'alert' : 'status');
}

const messageOf = (error: unknown) =>
  error instanceof ApiError || error instanceof Error ? error.message : 'Something went wrong.';

// The token arrives in the fragment (never sent to servers); keep it for reloads of this tab only.
const sessionId = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');
const storageKey = `kyc:${sessionId}`;
const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? sessionStorage.getItem(storageKey);
if (token) sessionStorage.setItem(storageKey, token);
history.replaceState(null, '', location.pathname);

const api = new SessionApi(sessionId, token ?? '');
let side: CapturePhase = 'document_type';
let busy = false;

/** Runs one user action at a time, reporting its failure on the status line. */
async function act(action: () => Promise<void>) {
  if (busy) return;
  busy = true;
  document.body.classList.add('busy');
  try {
    await action();
  } catch (error) {
    status(messageOf(error), 'error');
  } finally {
    busy = false;
    document.body.classList.remove('busy');
  }
}

function render(session: Session) {
  side = session.capturePhase;
  element('snap').hidden = true;
  element('camera').hidden = true;
  if (session.capturePhase === 'document_type') {
    status('');
    show('step-type');
    return;
  }
  stopCamera();
  if (session.capturePhase === 'complete') {
    status('');
    show('step-liveness');
    return;
  }
  const [title, hint] = SIDE_TEXT[session.capturePhase];
  element('capture-title').textContent = title;
  element('capture-hint').textContent = hint;
  element('step-capture').dataset.side = session.capturePhase;
  status('');
  show('step-capture');
}

async function upload(blob: Blob) {
  const session = await api.upload(side, blob, (stage) =>
    status(stage === 'uploading' ? 'Uploading…' : 'Checking your document…'),
  );
  render(session);
}

async function finish(text: string) {
  stopCamera();
  element('done-text').textContent = text;
  show('step-done');
  const returnUrl = await api.returnUrl();
  if (!returnUrl) return;
  const link = element<HTMLAnchorElement>('return-link');
  link.href = returnUrl;
  link.hidden = false;
  setTimeout(() => location.assign(returnUrl), 1500);
}

async function runLiveness() {
  element('liveness-retry').hidden = true;
  element('liveness-finish').hidden = true;
  element('start-liveness').hidden = true;
  const video = element<HTMLVideoElement>('selfie');
  const prompt = element('liveness-prompt');
  const progress = element<HTMLProgressElement>('liveness-progress');
  progress.value = 0;
  try {
    // A browser that cannot film or record is told so before an attempt is used up.
    if (!navigator.mediaDevices?.getUserMedia) throw new Error('This browser cannot use the camera.');
    recordingType();
    let started: Awaited<ReturnType<SessionApi['livenessInit']>>;
    try {
      started = await api.livenessInit();
    } catch (error) {
      if (error instanceof ApiError && error.code === 'LIVENESS_ATTEMPTS_EXCEEDED') {
        status(`${error.message}.`, 'error');
        element('liveness-finish').hidden = false;
        return;
      }
      throw error;
    }
    const { requestId, challenge } = started;
    let stream: MediaStream;
    try {
      stream = await startCamera(video, 'user');
    } catch {
      throw new Error('We need your camera for the liveness check: allow camera access and try again.');
    }
    status('Follow the instructions below the picture.');
    progress.max = challenge.recordingMs;
    let stopPrompts = () => {};
    let probe: Promise<Awaited<ReturnType<typeof sampleLiveness>>> | undefined;
    const recording = await record(stream, challenge.recordingMs, () => {
      stopPrompts = runPrompts(
        challenge,
        performance.now(),
        (text) => {
          prompt.textContent = text;
        },
        (elapsed) => {
          progress.value = Math.min(elapsed, challenge.recordingMs);
        },
      );
      probe = sampleLiveness(video, probeSamples(challenge.recordingMs));
    }).finally(() => stopPrompts());
    prompt.textContent = '';
    const sample = await (probe as NonNullable<typeof probe>);
    stopCamera();
    status('Uploading your recording…');
    const linked = await api.uploadLivenessVideo(requestId, recording);
    status('Checking your recording…');
    const result = await api.livenessComplete({
      requestId,
      challengeType: 'head_turn',
      ...sample,
      ...linked,
    });
    if (result.passed) {
      status('');
      await finish('Thank you: your verification was submitted.');
      return;
    }
    if (result.status === 'pending') {
      status('');
      await finish('Thank you: your verification was submitted. We are still checking your recording.');
      return;
    }
    status(`Liveness check failed: ${describeFailure(result.failureCodes)}.`, 'error');
    element('liveness-result').dataset.failureCodes = result.failureCodes.join(',');
  } catch (error) {
    stopCamera();
    prompt.textContent = '';
    status(messageOf(error), 'error');
  }
  element('liveness-retry').hidden = false;
  element('liveness-finish').hidden = false;
}

for (const button of document.querySelectorAll<HTMLButtonElement>('[data-type]')) {
  button.addEventListener('click', () =>
    act(async () => render(await api.chooseDocumentType(button.dataset.type ?? ''))),
  );
}
element<HTMLInputElement>('file').addEventListener('change', (event) => {
  const input = event.target as HTMLInputElement;
  const file = input.files?.[0];
  if (!file) return;
  void act(async () => {
    try {
      await upload(file);
    } finally {
      input.value = '';
    }
  });
});
element('use-camera').addEventListener('click', () =>
  act(async () => {
    try {
      await startCamera(element<HTMLVideoElement>('camera'), 'environment');
    } catch {
      throw new Error('No camera available: choose a file instead.');
    }
    element('snap').hidden = false;
  }),
);
element('snap').addEventListener('click', () =>
  act(async () => upload(await snapshot(element<HTMLVideoElement>('camera')))),
);
element('start-liveness').addEventListener('click', () => act(runLiveness));
element('liveness-retry').addEventListener('click', () => act(runLiveness));
element('liveness-finish').addEventListener('click', () =>
  act(() =>
    finish(
      'Your documents were submitted. We could not confirm the liveness check, so a person will review it.',
    ),
  ),
);

if (!token) status('This link is missing its verification token.', 'error');
else void act(async () => render(await api.session()));
