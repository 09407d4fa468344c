// Test support shared by the vision tests and the services that use the liveness engine:
// synthetic liveness videos generated from the face fixtures with the npm ffmpeg.
export * from './challenge-video.js';
export * from './synthetic-video.js';
