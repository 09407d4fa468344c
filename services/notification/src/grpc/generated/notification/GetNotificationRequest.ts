// Original file: proto/notification.proto


export interface GetNotificationRequest {
  'notification_id'?: (string);
}

export interface GetNotificationRequest__Output {
  'notification_id': (string);
}
