import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from './google/protobuf/Timestamp.js';
import type { BulkNotificationItem as _notification_BulkNotificationItem, BulkNotificationItem__Output as _notification_BulkNotificationItem__Output } from './notification/BulkNotificationItem.js';
import type { CancelNotificationRequest as _notification_CancelNotificationRequest, CancelNotificationRequest__Output as _notification_CancelNotificationRequest__Output } from './notification/CancelNotificationRequest.js';
import type { CancelNotificationResponse as _notification_CancelNotificationResponse, CancelNotificationResponse__Output as _notification_CancelNotificationResponse__Output } from './notification/CancelNotificationResponse.js';
import type { Content as _notification_Content, Content__Output as _notification_Content__Output } from './notification/Content.js';
import type { CreateBulkNotificationRequest as _notification_CreateBulkNotificationRequest, CreateBulkNotificationRequest__Output as _notification_CreateBulkNotificationRequest__Output } from './notification/CreateBulkNotificationRequest.js';
import type { CreateBulkNotificationResponse as _notification_CreateBulkNotificationResponse, CreateBulkNotificationResponse__Output as _notification_CreateBulkNotificationResponse__Output } from './notification/CreateBulkNotificationResponse.js';
import type { CreateNotificationRequest as _notification_CreateNotificationRequest, CreateNotificationRequest__Output as _notification_CreateNotificationRequest__Output } from './notification/CreateNotificationRequest.js';
import type { CreateNotificationResponse as _notification_CreateNotificationResponse, CreateNotificationResponse__Output as _notification_CreateNotificationResponse__Output } from './notification/CreateNotificationResponse.js';
import type { DeliverRequest as _notification_DeliverRequest, DeliverRequest__Output as _notification_DeliverRequest__Output } from './notification/DeliverRequest.js';
import type { DeliverResponse as _notification_DeliverResponse, DeliverResponse__Output as _notification_DeliverResponse__Output } from './notification/DeliverResponse.js';
import type { GetNotificationHistoryRequest as _notification_GetNotificationHistoryRequest, GetNotificationHistoryRequest__Output as _notification_GetNotificationHistoryRequest__Output } from './notification/GetNotificationHistoryRequest.js';
import type { GetNotificationHistoryResponse as _notification_GetNotificationHistoryResponse, GetNotificationHistoryResponse__Output as _notification_GetNotificationHistoryResponse__Output } from './notification/GetNotificationHistoryResponse.js';
import type { GetNotificationRequest as _notification_GetNotificationRequest, GetNotificationRequest__Output as _notification_GetNotificationRequest__Output } from './notification/GetNotificationRequest.js';
import type { GetStatsRequest as _notification_GetStatsRequest, GetStatsRequest__Output as _notification_GetStatsRequest__Output } from './notification/GetStatsRequest.js';
import type { GetStatsResponse as _notification_GetStatsResponse, GetStatsResponse__Output as _notification_GetStatsResponse__Output } from './notification/GetStatsResponse.js';
import type { Notification as _notification_Notification, Notification__Output as _notification_Notification__Output } from './notification/Notification.js';
import type { NotificationServiceClient as _notification_NotificationServiceClient, NotificationServiceDefinition as _notification_NotificationServiceDefinition } from './notification/NotificationService.js';
import type { NotificationSinkClient as _notification_NotificationSinkClient, NotificationSinkDefinition as _notification_NotificationSinkDefinition } from './notification/NotificationSink.js';
import type { Recipient as _notification_Recipient, Recipient__Output as _notification_Recipient__Output } from './notification/Recipient.js';
import type { RetryNotificationRequest as _notification_RetryNotificationRequest, RetryNotificationRequest__Output as _notification_RetryNotificationRequest__Output } from './notification/RetryNotificationRequest.js';
import type { RetryNotificationResponse as _notification_RetryNotificationResponse, RetryNotificationResponse__Output as _notification_RetryNotificationResponse__Output } from './notification/RetryNotificationResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  google: {
    protobuf: {
      Timestamp: MessageTypeDefinition<_google_protobuf_Timestamp, _google_protobuf_Timestamp__Output>
    }
  }
  notification: {
    BulkNotificationItem: MessageTypeDefinition<_notification_BulkNotificationItem, _notification_BulkNotificationItem__Output>
    CancelNotificationRequest: MessageTypeDefinition<_notification_CancelNotificationRequest, _notification_CancelNotificationRequest__Output>
    CancelNotificationResponse: MessageTypeDefinition<_notification_CancelNotificationResponse, _notification_CancelNotificationResponse__Output>
    Content: MessageTypeDefinition<_notification_Content, _notification_Content__Output>
    CreateBulkNotificationRequest: MessageTypeDefinition<_notification_CreateBulkNotificationRequest, _notification_CreateBulkNotificationRequest__Output>
    CreateBulkNotificationResponse: MessageTypeDefinition<_notification_CreateBulkNotificationResponse, _notification_CreateBulkNotificationResponse__Output>
    CreateNotificationRequest: MessageTypeDefinition<_notification_CreateNotificationRequest, _notification_CreateNotificationRequest__Output>
    CreateNotificationResponse: MessageTypeDefinition<_notification_CreateNotificationResponse, _notification_CreateNotificationResponse__Output>
    DeliverRequest: MessageTypeDefinition<_notification_DeliverRequest, _notification_DeliverRequest__Output>
    DeliverResponse: MessageTypeDefinition<_notification_DeliverResponse, _notification_DeliverResponse__Output>
    GetNotificationHistoryRequest: MessageTypeDefinition<_notification_GetNotificationHistoryRequest, _notification_GetNotificationHistoryRequest__Output>
    GetNotificationHistoryResponse: MessageTypeDefinition<_notification_GetNotificationHistoryResponse, _notification_GetNotificationHistoryResponse__Output>
    GetNotificationRequest: MessageTypeDefinition<_notification_GetNotificationRequest, _notification_GetNotificationRequest__Output>
    GetStatsRequest: MessageTypeDefinition<_notification_GetStatsRequest, _notification_GetStatsRequest__Output>
    GetStatsResponse: MessageTypeDefinition<_notification_GetStatsResponse, _notification_GetStatsResponse__Output>
    Notification: MessageTypeDefinition<_notification_Notification, _notification_Notification__Output>
    NotificationService: SubtypeConstructor<typeof grpc.Client, _notification_NotificationServiceClient> & { service: _notification_NotificationServiceDefinition }
    NotificationSink: SubtypeConstructor<typeof grpc.Client, _notification_NotificationSinkClient> & { service: _notification_NotificationSinkDefinition }
    Recipient: MessageTypeDefinition<_notification_Recipient, _notification_Recipient__Output>
    RetryNotificationRequest: MessageTypeDefinition<_notification_RetryNotificationRequest, _notification_RetryNotificationRequest__Output>
    RetryNotificationResponse: MessageTypeDefinition<_notification_RetryNotificationResponse, _notification_RetryNotificationResponse__Output>
  }
}

