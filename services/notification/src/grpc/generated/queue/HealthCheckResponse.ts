// Original file: proto/queue.proto

import type { ComponentHealth as _queue_ComponentHealth, ComponentHealth__Output as _queue_ComponentHealth__Output } from '../queue/ComponentHealth.js';

export interface HealthCheckResponse {
  'healthy'?: (boolean);
  'status'?: (string);
  'version'?: (string);
  'timestamp'?: (string);
  'services'?: (_queue_ComponentHealth)[];
}

export interface HealthCheckResponse__Output {
  'healthy': (boolean);
  'status': (string);
  'version': (string);
  'timestamp': (string);
  'services': (_queue_ComponentHealth__Output)[];
}
