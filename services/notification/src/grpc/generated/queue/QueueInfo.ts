// Original file: proto/queue.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../google/protobuf/Timestamp.js';

export interface QueueInfo {
  'name'?: (string);
  'durable'?: (boolean);
  'auto_delete'?: (boolean);
  'arguments'?: ({[key: string]: string});
  'created_at'?: (_google_protobuf_Timestamp | null);
  'backend'?: (string);
}

export interface QueueInfo__Output {
  'name': (string);
  'durable': (boolean);
  'auto_delete': (boolean);
  'arguments': ({[key: string]: string});
  'created_at': (_google_protobuf_Timestamp__Output | null);
  'backend': (string);
}
