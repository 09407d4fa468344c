// Original file: proto/notification.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../google/protobuf/Timestamp.js';

export interface CreateNotificationResponse {
  'notification_id'?: (string);
  'status'?: (string);
  'created_at'?: (_google_protobuf_Timestamp | null);
  'message'?: (string);
}

export interface CreateNotificationResponse__Output {
  'notification_id': (string);
  'status': (string);
  'created_at': (_google_protobuf_Timestamp__Output | null);
  'message': (string);
}
