// Original file: proto/notification.proto


export interface RetryNotificationResponse {
  'success'?: (boolean);
  'message'?: (string);
}

export interface RetryNotificationResponse__Output {
  'success': (boolean);
  'message': (string);
}
