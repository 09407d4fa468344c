export * from './faces/face-engine.js';
export * from './faces/similarity.js';
export * from './images/decode.js';
export * from './mrz/check-digit.js';
export * from './mrz/compose.js';
