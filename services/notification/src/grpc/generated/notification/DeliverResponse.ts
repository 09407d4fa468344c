// Original file: proto/notification.proto


export interface DeliverResponse {
  'accepted'?: (boolean);
  'message'?: (string);
}

export interface DeliverResponse__Output {
  'accepted': (boolean);
  'message': (string);
}
