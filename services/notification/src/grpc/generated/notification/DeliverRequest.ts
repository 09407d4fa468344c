// Original file: proto/notification.proto

import type { Recipient as _notification_Recipient, Recipient__Output as _notification_Recipient__Output } from '../notification/Recipient.js';
import type { Content as _notification_Content, Content__Output as _notification_Content__Output } from '../notification/Content.js';

export interface DeliverRequest {
  'notification_id'?: (string);
  'recipient'?: (_notification_Recipient | null);
  'content'?: (_notification_Content | null);
  'metadata'?: ({[key: string]: string});
  'attempt'?: (number);
}

export interface DeliverRequest__Output {
  'notification_id': (string);
  'recipient': (_notification_Recipient__Output | null);
  'content': (_notification_Content__Output | null);
  'metadata': ({[key: string]: string});
  'attempt': (number);
}
