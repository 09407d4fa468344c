// Original file: proto/queue.proto

import type { QueueStats as _queue_QueueStats, QueueStats__Output as _queue_QueueStats__Output } from '../queue/QueueStats.js';

export interface GetQueueStatsResponse {
  'queues'?: (_queue_QueueStats)[];
}

export interface GetQueueStatsResponse__Output {
  'queues': (_queue_QueueStats__Output)[];
}
