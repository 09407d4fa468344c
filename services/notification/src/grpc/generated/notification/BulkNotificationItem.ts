// Original file: proto/notification.proto

import type { Recipient as _notification_Recipient, Recipient__Output as _notification_Recipient__Output } from '../notification/Recipient.js';
import type { Content as _notification_Content, Content__Output as _notification_Content__Output } from '../notification/Content.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../google/protobuf/Timestamp.js';

export interface BulkNotificationItem {
  'recipients'?: (_notification_Recipient)[];
  'content'?: (_notification_Content | null);
  'priority'?: (string);
  'provider_type'?: (string);
  'metadata'?: ({[key: string]: string});
  'max_retries'?: (number);
  'scheduled_at'?: (_google_protobuf_Timestamp | null);
  '_max_retries'?: "max_retries";
}

export interface BulkNotificationItem__Output {
  'recipients': (_notification_Recipient__Output)[];
  'content': (_notification_Content__Output | null);
  'priority': (string);
  'provider_type': (string);
  'metadata': ({[key: string]: string});
  'max_retries'?: (number);
  'scheduled_at': (_google_protobuf_Timestamp__Output | null);
  '_max_retries'?: "max_retries";
}
