// Original file: proto/queue.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../google/protobuf/Timestamp.js';
import type { Long } from '@grpc/proto-loader';

export interface ConsumerInfo {
  'consumer_tag'?: (string);
  'queue_name'?: (string);
  'ack_count'?: (number | string | Long);
  'unack_count'?: (number | string | Long);
  'prefetch_count'?: (number);
  'connected_at'?: (_google_protobuf_Timestamp | null);
  'last_seen_at'?: (_google_protobuf_Timestamp | null);
  'host'?: (string);
}

export interface ConsumerInfo__Output {
  'consumer_tag': (string);
  'queue_name': (string);
  'ack_count': (number);
  'unack_count': (number);
  'prefetch_count': (number);
  'connected_at': (_google_protobuf_Timestamp__Output | null);
  'last_seen_at': (_google_protobuf_Timestamp__Output | null);
  'host': (string);
}
