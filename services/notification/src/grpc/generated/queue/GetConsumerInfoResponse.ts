// Original file: proto/queue.proto

import type { ConsumerInfo as _queue_ConsumerInfo, ConsumerInfo__Output as _queue_ConsumerInfo__Output } from '../queue/ConsumerInfo.js';

export interface GetConsumerInfoResponse {
  'consumers'?: (_queue_ConsumerInfo)[];
}

export interface GetConsumerInfoResponse__Output {
  'consumers': (_queue_ConsumerInfo__Output)[];
}
