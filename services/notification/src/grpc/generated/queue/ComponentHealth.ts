// Original file: proto/queue.proto


export interface ComponentHealth {
  'name'?: (string);
  'healthy'?: (boolean);
}

export interface ComponentHealth__Output {
  'name': (string);
  'healthy': (boolean);
}
