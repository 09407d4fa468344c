// Original file: proto/notification.proto

import type { Recipient as _notification_Recipient, Recipient__Output as _notification_Recipient__Output } from '../notification/Recipient.js';
import type { Content as _notification_Content, Content__Output as _notification_Content__Output } from '../notification/Content.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../google/protobuf/Timestamp.js';

export interface Notification {
  'id'?: (string);
  'recipients'?: (_notification_Recipient)[];
  'content'?: (_notification_Content | null);
  'provider_type'?: (string);
  'status'?: (string);
  'priority'?: (string);
  'retry_count'?: (number);
  'max_retries'?: (number);
  'created_at'?: (_google_protobuf_Timestamp | null);
  'delivered_at'?: (_google_protobuf_Timestamp | null);
  'metadata'?: ({[key: string]: string});
  'scheduled_at'?: (_google_protobuf_Timestamp | null);
  'updated_at'?: (_google_protobuf_Timestamp | null);
  'last_error'?: (string);
  'batch_id'?: (string);
  'provider_name'?: (string);
  'attempts'?: (number);
}

export interface Notification__Output {
  'id': (string);
  'recipients': (_notification_Recipient__Output)[];
  'content': (_notification_Content__Output | null);
  'provider_type': (string);
  'status': (string);
  'priority': (string);
  'retry_count': (number);
  'max_retries': (number);
  'created_at': (_google_protobuf_Timestamp__Output | null);
  'delivered_at': (_google_protobuf_Timestamp__Output | null);
  'metadata': ({[key: string]: string});
  'scheduled_at': (_google_protobuf_Timestamp__Output | null);
  'updated_at': (_google_protobuf_Timestamp__Output | null);
  'last_error': (string);
  'batch_id': (string);
  'provider_name': (string);
  'attempts': (number);
}
