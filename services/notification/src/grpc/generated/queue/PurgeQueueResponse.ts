// Original file: proto/queue.proto

import type { Long } from '@grpc/proto-loader';

export interface PurgeQueueResponse {
  'success'?: (boolean);
  'purged_count'?: (number | string | Long);
  'message'?: (string);
}

export interface PurgeQueueResponse__Output {
  'success': (boolean);
  'purged_count': (number);
  'message': (string);
}
