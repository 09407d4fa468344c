// Original file: proto/queue.proto


export interface GetQueueStatsRequest {
  'queue_name'?: (string);
}

export interface GetQueueStatsRequest__Output {
  'queue_name': (string);
}
