// Original file: proto/notification.proto


export interface RetryNotificationRequest {
  'notification_id'?: (string);
}

export interface RetryNotificationRequest__Output {
  'notification_id': (string);
}
