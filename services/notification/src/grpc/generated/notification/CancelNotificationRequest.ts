// Original file: proto/notification.proto


export interface CancelNotificationRequest {
  'notification_id'?: (string);
}

export interface CancelNotificationRequest__Output {
  'notification_id': (string);
}
