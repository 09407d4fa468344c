// Original file: proto/queue.proto


export interface GetQueueInfoRequest {
  'queue_name'?: (string);
}

export interface GetQueueInfoRequest__Output {
  'queue_name': (string);
}
