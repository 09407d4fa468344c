// Original file: proto/queue.proto


export interface GetMessageDetailsRequest {
  'message_id'?: (string);
  'queue_name'?: (string);
}

export interface GetMessageDetailsRequest__Output {
  'message_id': (string);
  'queue_name': (string);
}
