// Hosted verification flow: document type → capture of each side (camera or file) with a
// presigned upload → liveness (green-channel pulse + head-pose summary from the camera) → done.
const API = '/api/verification/sessions';
const sessionId = location.pathname.split('/').filter(Boolean).pop();
const token =
  new URLSearchParams(location.hash.slice(1)).get('token') || sessionStorage.getItem(`kyc:${sessionId}`);
if (token) sessionStorage.setItem(`kyc:${sessionId}`, token);
history.replaceState(null, '', location.pathname);

const $ = (id) => document.getElementById(id);
const show = (id) => {
  for (const step of ['step-type', 'step-capture', 'step-liveness', 'step-done'])
    $(step).hidden = step !== id;
};
const status = (text, error = false) => {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
};

async function api(method, path, body) {
  const response = await fetch(`${API}/${sessionId}${path}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-verification-token': token },
    body: body ? JSON.stringify({ token, ...body }) : undefined,
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(json.message || `Request failed (${response.status})`);
  return json;
}

async function sha256Hex(buffer) {
  const digest = await crypto.subtle.digest('SHA-256', buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const SIDE_TEXT = {
  front: ['Front of your document', 'Photograph the side with your portrait.'],
  back: ['Back of your document', 'Photograph the side with the machine-readable zone.'],
  single: ['Your passport photo page', 'Include the two lines of characters at the bottom.'],
  poa: ['Proof of address', 'A recent utility bill or bank statement (photo or PDF).'],
};

async function uploadSide(side, blob) {
  status('Uploading…');
  const contentType = blob.type || 'image/jpeg';
  const bytes = await blob.arrayBuffer();
  const presign = await api('POST', '/presign', { side, contentType, byteSize: bytes.byteLength });
  const put = await fetch(presign.uploadUrl, {
    method: 'PUT',
    headers: { 'content-type': contentType },
    body: bytes,
  });
  if (!put.ok) throw new Error('Upload failed');
  status('Checking your document…');
  const done = await api('POST', '/upload-complete', {
    side,
    s3Key: presign.s3Key,
    contentType,
    byteSize: bytes.byteLength,
    sha256: await sha256Hex(bytes),
  });
  render(done.session);
}

let stream;
async function camera(video, facingMode) {
  for (const track of stream?.getTracks() ?? []) track.stop();
  stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode, width: 1280, height: 720 } });
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
}

function snapshot(video) {
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d').drawImage(video, 0, 0);
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.92));
}

function render(session) {
  if (session.capturePhase === 'document_type') {
    status('');
    show('step-type');
    return;
  }
  if (session.capturePhase === 'complete') {
    status('');
    show('step-liveness');
    return;
  }
  const [title, hint] = SIDE_TEXT[session.capturePhase];
  $('capture-title').textContent = title;
  $('capture-hint').textContent = hint;
  $('capture-title').dataset.side = session.capturePhase;
  status('');
  show('step-capture');
}

// Liveness: 120 frames at 15 Hz. Per frame: mean green of the central face region (rPPG) and a
// head-pose proxy from the horizontal brightness balance of that region.
async function runLiveness() {
  const video = $('selfie');
  await camera(video, 'user');
  const { requestId } = await api('POST', '/liveness/init');
  const canvas = document.createElement('canvas');
  const context = canvas.getContext('2d', { willReadFrequently: true });
  canvas.width = 160;
  canvas.height = 120;
  const green = [];
  const yaw = [];
  const pitch = [];
  const centers = [];
  const depth = [];
  for (let frame = 0; frame < 120; frame += 1) {
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const { data } = context.getImageData(50, 30, 60, 60);
    let g = 0;
    let left = 0;
    let right = 0;
    let top = 0;
    let bottom = 0;
    let cx = 0;
    let total = 0;
    for (let i = 0; i < data.length; i += 4) {
      const p = i / 4;
      const x = p % 60;
      const y = Math.floor(p / 60);
      const luma = 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
      g += data[i + 1];
      if (x < 30) left += luma;
      else right += luma;
      if (y < 30) top += luma;
      else bottom += luma;
      cx += x * luma;
      total += luma;
    }
    green.push(g / (data.length / 4));
    const balance = (right - left) / Math.max(1, right + left);
    yaw.push(balance * 90);
    pitch.push(((bottom - top) / Math.max(1, bottom + top)) * 90);
    centers.push(cx / Math.max(1, total) / 60);
    depth.push(Math.abs(balance));
    $('liveness-progress').value = frame + 1;
    await new Promise((resolve) => setTimeout(resolve, 1000 / 15));
  }
  const variance = (values) => {
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    return values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  };
  const result = await api('POST', '/liveness/complete', {
    requestId,
    challengeType: 'head_turn',
    greenChannelMean: green,
    landmarksSummary: {
      yawMin: Math.min(...yaw),
      yawMax: Math.max(...yaw),
      pitchMin: Math.min(...pitch),
      pitchMax: Math.max(...pitch),
      faceMotionVariance: variance(centers),
      depthVarianceProxy: variance(depth),
    },
  });
  for (const track of stream?.getTracks() ?? []) track.stop();
  $('done-text').textContent = result.passed
    ? 'Your verification was submitted.'
    : 'We could not confirm the liveness check; your verification will be reviewed.';
  show('step-done');
  const back = await fetch(`/verify/${sessionId}/return`, { headers: { 'x-verification-token': token } });
  const { returnUrl } = back.ok ? await back.json() : {};
  if (returnUrl) {
    $('return-link').href = returnUrl;
    $('return-link').hidden = false;
    setTimeout(() => location.assign(returnUrl), 1500);
  }
}

for (const button of document.querySelectorAll('[data-type]')) {
  button.addEventListener('click', async () => {
    try {
      const { session } = await api('PATCH', '', { documentType: button.dataset.type });
      render(session);
    } catch (error) {
      status(error.message, true);
    }
  });
}
$('file').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  try {
    await uploadSide($('capture-title').dataset.side, file);
  } catch (error) {
    status(error.message, true);
  }
  event.target.value = '';
});
$('use-camera').addEventListener('click', async () => {
  try {
    await camera($('camera'), 'environment');
    $('snap').hidden = false;
  } catch {
    status('No camera available: choose a file instead.', true);
  }
});
$('snap').addEventListener('click', async () => {
  try {
    await uploadSide($('capture-title').dataset.side, await snapshot($('camera')));
  } catch (error) {
    status(error.message, true);
  }
});
$('start-liveness').addEventListener('click', () =>
  runLiveness().catch((error) => status(error.message, true)),
);

if (!token) status('This link is missing its verification token.', true);
else
  api('GET', '')
    .then(({ session }) => render(session))
    .catch((error) => status(error.message, true));
