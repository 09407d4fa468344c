export * from './boot-service.js';
export * from './database.js';
export * from './contract.js';
export * from './external-servers.js';
export * from './stream-request.js';
