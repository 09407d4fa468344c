// Original file: proto/notification.proto

import type { Notification as _notification_Notification, Notification__Output as _notification_Notification__Output } from '../notification/Notification.js';
import type { Long } from '@grpc/proto-loader';

export interface GetNotificationHistoryResponse {
  'notifications'?: (_notification_Notification)[];
  'total'?: (number | string | Long);
  'page'?: (number);
  'page_size'?: (number);
  'total_pages'?: (number);
}

export interface GetNotificationHistoryResponse__Output {
  'notifications': (_notification_Notification__Output)[];
  'total': (number);
  'page': (number);
  'page_size': (number);
  'total_pages': (number);
}
