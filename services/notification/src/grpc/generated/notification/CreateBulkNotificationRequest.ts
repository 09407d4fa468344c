// Original file: proto/notification.proto

import type { BulkNotificationItem as _notification_BulkNotificationItem, BulkNotificationItem__Output as _notification_BulkNotificationItem__Output } from '../notification/BulkNotificationItem.js';

export interface CreateBulkNotificationRequest {
  'notifications'?: (_notification_BulkNotificationItem)[];
}

export interface CreateBulkNotificationRequest__Output {
  'notifications': (_notification_BulkNotificationItem__Output)[];
}
