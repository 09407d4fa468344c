// Original file: proto/notification.proto


export interface CancelNotificationResponse {
  'success'?: (boolean);
  'message'?: (string);
}

export interface CancelNotificationResponse__Output {
  'success': (boolean);
  'message': (string);
}
