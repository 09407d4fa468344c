// Original file: proto/notification.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CancelNotificationRequest as _notification_CancelNotificationRequest, CancelNotificationRequest__Output as _notification_CancelNotificationRequest__Output } from '../notification/CancelNotificationRequest.js';
import type { CancelNotificationResponse as _notification_CancelNotificationResponse, CancelNotificationResponse__Output as _notification_CancelNotificationResponse__Output } from '../notification/CancelNotificationResponse.js';
import type { CreateBulkNotificationRequest as _notification_CreateBulkNotificationRequest, CreateBulkNotificationRequest__Output as _notification_CreateBulkNotificationRequest__Output } from '../notification/CreateBulkNotificationRequest.js';
import type { CreateBulkNotificationResponse as _notification_CreateBulkNotificationResponse, CreateBulkNotificationResponse__Output as _notification_CreateBulkNotificationResponse__Output } from '../notification/CreateBulkNotificationResponse.js';
import type { CreateNotificationRequest as _notification_CreateNotificationRequest, CreateNotificationRequest__Output as _notification_CreateNotificationRequest__Output } from '../notification/CreateNotificationRequest.js';
import type { CreateNotificationResponse as _notification_CreateNotificationResponse, CreateNotificationResponse__Output as _notification_CreateNotificationResponse__Output } from '../notification/CreateNotificationResponse.js';
import type { GetNotificationHistoryRequest as _notification_GetNotificationHistoryRequest, GetNotificationHistoryRequest__Output as _notification_GetNotificationHistoryRequest__Output } from '../notification/GetNotificationHistoryRequest.js';
import type { GetNotificationHistoryResponse as _notification_GetNotificationHistoryResponse, GetNotificationHistoryResponse__Output as _notification_GetNotificationHistoryResponse__Output } from '../notification/GetNotificationHistoryResponse.js';
import type { GetNotificationRequest as _notification_GetNotificationRequest, GetNotificationRequest__Output as _notification_GetNotificationRequest__Output } from '../notification/GetNotificationRequest.js';
import type { GetStatsRequest as _notification_GetStatsRequest, GetStatsRequest__Output as _notification_GetStatsRequest__Output } from '../notification/GetStatsRequest.js';
import type { GetStatsResponse as _notification_GetStatsResponse, GetStatsResponse__Output as _notification_GetStatsResponse__Output } from '../notification/GetStatsResponse.js';
import type { Notification as _notification_Notification, Notification__Output as _notification_Notification__Output } from '../notification/Notification.js';
import type { RetryNotificationRequest as _notification_RetryNotificationRequest, RetryNotificationRequest__Output as _notification_RetryNotificationRequest__Output } from '../notification/RetryNotificationRequest.js';
import type { RetryNotificationResponse as _notification_RetryNotificationResponse, RetryNotificationResponse__Output as _notification_RetryNotificationResponse__Output } from '../notification/RetryNotificationResponse.js';

export interface NotificationServiceClient extends grpc.Client {
  CancelNotification(argument: _notification_CancelNotificationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_CancelNotificationResponse__Output>): grpc.ClientUnaryCall;
  CancelNotification(argument: _notification_CancelNotificationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_notification_CancelNotificationResponse__Output>): grpc.ClientUnaryCall;
  CancelNotification(argument: _notification_CancelNotificationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_CancelNotificationResponse__Output>): grpc.ClientUnaryCall;
  CancelNotification(argument: _notification_CancelNotificationRequest, callback: grpc.requestCallback<_notification_CancelNotificationResponse__Output>): grpc.ClientUnaryCall;
  cancelNotification(argument: _notification_CancelNotificationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_CancelNotificationResponse__Output>): grpc.ClientUnaryCall;
  cancelNotification(argument: _notification_CancelNotificationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_notification_CancelNotificationResponse__Output>): grpc.ClientUnaryCall;
  cancelNotification(argument: _notification_CancelNotificationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_CancelNotificationResponse__Output>): grpc.ClientUnaryCall;
  cancelNotification(argument: _notification_CancelNotificationRequest, callback: grpc.requestCallback<_notification_CancelNotificationResponse__Output>): grpc.ClientUnaryCall;
  
  CreateBulkNotification(argument: _notification_CreateBulkNotificationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_CreateBulkNotificationResponse__Output>): grpc.ClientUnaryCall;
  CreateBulkNotification(argument: _notification_CreateBulkNotificationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_notification_CreateBulkNotificationResponse__Output>): grpc.ClientUnaryCall;
  CreateBulkNotification(argument: _notification_CreateBulkNotificationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_CreateBulkNotificationResponse__Output>): grpc.ClientUnaryCall;
  CreateBulkNotification(argument: _notification_CreateBulkNotificationRequest, callback: grpc.requestCallback<_notification_CreateBulkNotificationResponse__Output>): grpc.ClientUnaryCall;
  createBulkNotification(argument: _notification_CreateBulkNotificationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_CreateBulkNotificationResponse__Output>): grpc.ClientUnaryCall;
  createBulkNotification(argument: _notification_CreateBulkNotificationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_notification_CreateBulkNotificationResponse__Output>): grpc.ClientUnaryCall;
  createBulkNotification(argument: _notification_CreateBulkNotificationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_CreateBulkNotificationResponse__Output>): grpc.ClientUnaryCall;
  createBulkNotification(argument: _notification_CreateBulkNotificationRequest, callback: grpc.requestCallback<_notification_CreateBulkNotificationResponse__Output>): grpc.ClientUnaryCall;
  
  CreateNotification(argument: _notification_CreateNotificationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_CreateNotificationResponse__Output>): grpc.ClientUnaryCall;
  CreateNotification(argument: _notification_CreateNotificationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_notification_CreateNotificationResponse__Output>): grpc.ClientUnaryCall;
  CreateNotification(argument: _notification_CreateNotificationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_CreateNotificationResponse__Output>): grpc.ClientUnaryCall;
  CreateNotification(argument: _notification_CreateNotificationRequest, callback: grpc.requestCallback<_notification_CreateNotificationResponse__Output>): grpc.ClientUnaryCall;
  createNotification(argument: _notification_CreateNotificationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_CreateNotificationResponse__Output>): grpc.ClientUnaryCall;
  createNotification(argument: _notification_CreateNotificationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_notification_CreateNotificationResponse__Output>): grpc.ClientUnaryCall;
  createNotification(argument: _notification_CreateNotificationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_CreateNotificationResponse__Output>): grpc.ClientUnaryCall;
  createNotification(argument: _notification_CreateNotificationRequest, callback: grpc.requestCallback<_notification_CreateNotificationResponse__Output>): grpc.ClientUnaryCall;
  
  GetNotification(argument: _notification_GetNotificationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_Notification__Output>): grpc.ClientUnaryCall;
  GetNotification(argument: _notification_GetNotificationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_notification_Notification__Output>): grpc.ClientUnaryCall;
  GetNotification(argument: _notification_GetNotificationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_Notification__Output>): grpc.ClientUnaryCall;
  GetNotification(argument: _notification_GetNotificationRequest, callback: grpc.requestCallback<_notification_Notification__Output>): grpc.ClientUnaryCall;
  getNotification(argument: _notification_GetNotificationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_Notification__Output>): grpc.ClientUnaryCall;
  getNotification(argument: _notification_GetNotificationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_notification_Notification__Output>): grpc.ClientUnaryCall;
  getNotification(argument: _notification_GetNotificationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_Notification__Output>): grpc.ClientUnaryCall;
  getNotification(argument: _notification_GetNotificationRequest, callback: grpc.requestCallback<_notification_Notification__Output>): grpc.ClientUnaryCall;
  
  GetNotificationHistory(argument: _notification_GetNotificationHistoryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_GetNotificationHistoryResponse__Output>): grpc.ClientUnaryCall;
  GetNotificationHistory(argument: _notification_GetNotificationHistoryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_notification_GetNotificationHistoryResponse__Output>): grpc.ClientUnaryCall;
  GetNotificationHistory(argument: _notification_GetNotificationHistoryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_GetNotificationHistoryResponse__Output>): grpc.ClientUnaryCall;
  GetNotificationHistory(argument: _notification_GetNotificationHistoryRequest, callback: grpc.requestCallback<_notification_GetNotificationHistoryResponse__Output>): grpc.ClientUnaryCall;
  getNotificationHistory(argument: _notification_GetNotificationHistoryRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_GetNotificationHistoryResponse__Output>): grpc.ClientUnaryCall;
  getNotificationHistory(argument: _notification_GetNotificationHistoryRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_notification_GetNotificationHistoryResponse__Output>): grpc.ClientUnaryCall;
  getNotificationHistory(argument: _notification_GetNotificationHistoryRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_GetNotificationHistoryResponse__Output>): grpc.ClientUnaryCall;
  getNotificationHistory(argument: _notification_GetNotificationHistoryRequest, callback: grpc.requestCallback<_notification_GetNotificationHistoryResponse__Output>): grpc.ClientUnaryCall;
  
  GetStats(argument: _notification_GetStatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_GetStatsResponse__Output>): grpc.ClientUnaryCall;
  GetStats(argument: _notification_GetStatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_notification_GetStatsResponse__Output>): grpc.ClientUnaryCall;
  GetStats(argument: _notification_GetStatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_GetStatsResponse__Output>): grpc.ClientUnaryCall;
  GetStats(argument: _notification_GetStatsRequest, callback: grpc.requestCallback<_notification_GetStatsResponse__Output>): grpc.ClientUnaryCall;
  getStats(argument: _notification_GetStatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_GetStatsResponse__Output>): grpc.ClientUnaryCall;
  getStats(argument: _notification_GetStatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_notification_GetStatsResponse__Output>): grpc.ClientUnaryCall;
  getStats(argument: _notification_GetStatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_GetStatsResponse__Output>): grpc.ClientUnaryCall;
  getStats(argument: _notification_GetStatsRequest, callback: grpc.requestCallback<_notification_GetStatsResponse__Output>): grpc.ClientUnaryCall;
  
  RetryNotification(argument: _notification_RetryNotificationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_RetryNotificationResponse__Output>): grpc.ClientUnaryCall;
  RetryNotification(argument: _notification_RetryNotificationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_notification_RetryNotificationResponse__Output>): grpc.ClientUnaryCall;
  RetryNotification(argument: _notification_RetryNotificationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_RetryNotificationResponse__Output>): grpc.ClientUnaryCall;
  RetryNotification(argument: _notification_RetryNotificationRequest, callback: grpc.requestCallback<_notification_RetryNotificationResponse__Output>): grpc.ClientUnaryCall;
  retryNotification(argument: _notification_RetryNotificationRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_RetryNotificationResponse__Output>): grpc.ClientUnaryCall;
  retryNotification(argument: _notification_RetryNotificationRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_notification_RetryNotificationResponse__Output>): grpc.ClientUnaryCall;
  retryNotification(argument: _notification_RetryNotificationRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_RetryNotificationResponse__Output>): grpc.ClientUnaryCall;
  retryNotification(argument: _notification_RetryNotificationRequest, callback: grpc.requestCallback<_notification_RetryNotificationResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface NotificationServiceHandlers extends grpc.UntypedServiceImplementation {
  CancelNotification: grpc.handleUnaryCall<_notification_CancelNotificationRequest__Output, _notification_CancelNotificationResponse>;
  
  CreateBulkNotification: grpc.handleUnaryCall<_notification_CreateBulkNotificationRequest__Output, _notification_CreateBulkNotificationResponse>;
  
  CreateNotification: grpc.handleUnaryCall<_notification_CreateNotificationRequest__Output, _notification_CreateNotificationResponse>;
  
  GetNotification: grpc.handleUnaryCall<_notification_GetNotificationRequest__Output, _notification_Notification>;
  
  GetNotificationHistory: grpc.handleUnaryCall<_notification_GetNotificationHistoryRequest__Output, _notification_GetNotificationHistoryResponse>;
  
  GetStats: grpc.handleUnaryCall<_notification_GetStatsRequest__Output, _notification_GetStatsResponse>;
  
  RetryNotification: grpc.handleUnaryCall<_notification_RetryNotificationRequest__Output, _notification_RetryNotificationResponse>;
  
}

export interface NotificationServiceDefinition extends grpc.ServiceDefinition {
  CancelNotification: MethodDefinition<_notification_CancelNotificationRequest, _notification_CancelNotificationResponse, _notification_CancelNotificationRequest__Output, _notification_CancelNotificationResponse__Output>
  CreateBulkNotification: MethodDefinition<_notification_CreateBulkNotificationRequest, _notification_CreateBulkNotificationResponse, _notification_CreateBulkNotificationRequest__Output, _notification_CreateBulkNotificationResponse__Output>
  CreateNotification: MethodDefinition<_notification_CreateNotificationRequest, _notification_CreateNotificationResponse, _notification_CreateNotificationRequest__Output, _notification_CreateNotificationResponse__Output>
  GetNotification: MethodDefinition<_notification_GetNotificationRequest, _notification_Notification, _notification_GetNotificationRequest__Output, _notification_Notification__Output>
  GetNotificationHistory: MethodDefinition<_notification_GetNotificationHistoryRequest, _notification_GetNotificationHistoryResponse, _notification_GetNotificationHistoryRequest__Output, _notification_GetNotificationHistoryResponse__Output>
  GetStats: MethodDefinition<_notification_GetStatsRequest, _notification_GetStatsResponse, _notification_GetStatsRequest__Output, _notification_GetStatsResponse__Output>
  RetryNotification: MethodDefinition<_notification_RetryNotificationRequest, _notification_RetryNotificationResponse, _notification_RetryNotificationRequest__Output, _notification_RetryNotificationResponse__Output>
}
