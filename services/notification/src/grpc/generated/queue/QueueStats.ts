// Original file: proto/queue.proto

import type { Long } from '@grpc/proto-loader';

export interface QueueStats {
  'queue_name'?: (string);
  'message_count'?: (number | string | Long);
  'consumer_count'?: (number);
  'rate'?: (number | string);
  'avg_processing_time'?: (number | string);
  'messages_ready'?: (number | string | Long);
  'messages_unacknowledged'?: (number | string | Long);
  'publish_rate'?: (number | string);
}

export interface QueueStats__Output {
  'queue_name': (string);
  'message_count': (number);
  'consumer_count': (number);
  'rate': (number);
  'avg_processing_time': (number);
  'messages_ready': (number);
  'messages_unacknowledged': (number);
  'publish_rate': (number);
}
