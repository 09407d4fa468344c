// Original file: proto/notification.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DeliverRequest as _notification_DeliverRequest, DeliverRequest__Output as _notification_DeliverRequest__Output } from '../notification/DeliverRequest.js';
import type { DeliverResponse as _notification_DeliverResponse, DeliverResponse__Output as _notification_DeliverResponse__Output } from '../notification/DeliverResponse.js';

export interface NotificationSinkClient extends grpc.Client {
  Deliver(argument: _notification_DeliverRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_DeliverResponse__Output>): grpc.ClientUnaryCall;
  Deliver(argument: _notification_DeliverRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_notification_DeliverResponse__Output>): grpc.ClientUnaryCall;
  Deliver(argument: _notification_DeliverRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_DeliverResponse__Output>): grpc.ClientUnaryCall;
  Deliver(argument: _notification_DeliverRequest, callback: grpc.requestCallback<_notification_DeliverResponse__Output>): grpc.ClientUnaryCall;
  deliver(argument: _notification_DeliverRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_DeliverResponse__Output>): grpc.ClientUnaryCall;
  deliver(argument: _notification_DeliverRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_notification_DeliverResponse__Output>): grpc.ClientUnaryCall;
  deliver(argument: _notification_DeliverRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_notification_DeliverResponse__Output>): grpc.ClientUnaryCall;
  deliver(argument: _notification_DeliverRequest, callback: grpc.requestCallback<_notification_DeliverResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface NotificationSinkHandlers extends grpc.UntypedServiceImplementation {
  Deliver: grpc.handleUnaryCall<_notification_DeliverRequest__Output, _notification_DeliverResponse>;
  
}

export interface NotificationSinkDefinition extends grpc.ServiceDefinition {
  Deliver: MethodDefinition<_notification_DeliverRequest, _notification_DeliverResponse, _notification_DeliverRequest__Output, _notification_DeliverResponse__Output>
}
