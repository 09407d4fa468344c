export * from './boot-service.js';
export * from './captured-logs.js';
export * from './database.js';
export * from './database-outage.js';
export * from './error-catalogue-check.js';
export * from './contract.js';
export * from './external-servers.js';
export * from './stream-request.js';
