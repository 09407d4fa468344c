// Original file: proto/queue.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../google/protobuf/Timestamp.js';

export interface MessageDetails {
  'message_id'?: (string);
  'queue_name'?: (string);
  'payload'?: (string);
  'published_at'?: (_google_protobuf_Timestamp | null);
  'delivered_at'?: (_google_protobuf_Timestamp | null);
  'delivery_count'?: (number);
  'status'?: (string);
  'headers'?: ({[key: string]: string});
}

export interface MessageDetails__Output {
  'message_id': (string);
  'queue_name': (string);
  'payload': (string);
  'published_at': (_google_protobuf_Timestamp__Output | null);
  'delivered_at': (_google_protobuf_Timestamp__Output | null);
  'delivery_count': (number);
  'status': (string);
  'headers': ({[key: string]: string});
}
