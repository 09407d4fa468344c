// Original file: proto/queue.proto


export interface GetConsumerInfoRequest {
  'queue_name'?: (string);
}

export interface GetConsumerInfoRequest__Output {
  'queue_name': (string);
}
