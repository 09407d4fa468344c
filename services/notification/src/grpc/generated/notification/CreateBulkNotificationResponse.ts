// Original file: proto/notification.proto


export interface CreateBulkNotificationResponse {
  'batch_id'?: (string);
  'notification_ids'?: (string)[];
  'status'?: (string);
  'total_count'?: (number);
}

export interface CreateBulkNotificationResponse__Output {
  'batch_id': (string);
  'notification_ids': (string)[];
  'status': (string);
  'total_count': (number);
}
