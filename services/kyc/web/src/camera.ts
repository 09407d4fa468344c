// One camera stream at a time: the document capture uses the back camera, liveness the front one.

let current: MediaStream | null = null;

export async function startCamera(
  video: HTMLVideoElement,
  facingMode: 'user' | 'environment',
): Promise<MediaStream> {
  stopCamera();
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('This browser cannot use the camera.');
  // Documents want detail; the liveness recording is analysed at ≤ 480 px, and a smaller stream
  // is cheaper to encode in real time on a slow phone.
  const size = facingMode === 'environment' ? { width: 1280, height: 720 } : { width: 640, height: 480 };
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { facingMode, width: { ideal: size.width }, height: { ideal: size.height } },
    audio: false,
  });
  current = stream;
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  // The first frames may still be black: wait until the video has real dimensions.
  if (!video.videoWidth) {
    await new Promise<void>((resolve) =>
      video.addEventListener('loadeddata', () => resolve(), { once: true }),
    );
  }
  return stream;
}

export function stopCamera() {
  for (const track of current?.getTracks() ?? []) track.stop();
  current = null;
}

export function snapshot(video: HTMLVideoElement): Promise<Blob> {
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  const context = canvas.getContext('2d');
  if (!context) throw new Error('This browser cannot take photos.');
  context.drawImage(video, 0, 0);
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new Error('Could not take the photo'))),
      'image/jpeg',
      0.92,
    ),
  );
}
