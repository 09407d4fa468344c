// Original file: proto/queue.proto


export interface PurgeQueueRequest {
  'queue_name'?: (string);
}

export interface PurgeQueueRequest__Output {
  'queue_name': (string);
}
