// Test support shared by the vision tests and the services that use the vision engine:
// synthetic liveness videos generated from the face fixtures with the npm ffmpeg, and the
// generated identity documents with the portrait forgeries made from them.
export * from './challenge-video.js';
export * from './documents.js';
export * from './synthetic-video.js';
export * from './evaluation.js';
