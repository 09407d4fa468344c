// Original file: proto/queue.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetConsumerInfoRequest as _queue_GetConsumerInfoRequest, GetConsumerInfoRequest__Output as _queue_GetConsumerInfoRequest__Output } from '../queue/GetConsumerInfoRequest.js';
import type { GetConsumerInfoResponse as _queue_GetConsumerInfoResponse, GetConsumerInfoResponse__Output as _queue_GetConsumerInfoResponse__Output } from '../queue/GetConsumerInfoResponse.js';
import type { GetMessageDetailsRequest as _queue_GetMessageDetailsRequest, GetMessageDetailsRequest__Output as _queue_GetMessageDetailsRequest__Output } from '../queue/GetMessageDetailsRequest.js';
import type { GetQueueInfoRequest as _queue_GetQueueInfoRequest, GetQueueInfoRequest__Output as _queue_GetQueueInfoRequest__Output } from '../queue/GetQueueInfoRequest.js';
import type { GetQueueStatsRequest as _queue_GetQueueStatsRequest, GetQueueStatsRequest__Output as _queue_GetQueueStatsRequest__Output } from '../queue/GetQueueStatsRequest.js';
import type { GetQueueStatsResponse as _queue_GetQueueStatsResponse, GetQueueStatsResponse__Output as _queue_GetQueueStatsResponse__Output } from '../queue/GetQueueStatsResponse.js';
import type { HealthCheckRequest as _queue_HealthCheckRequest, HealthCheckRequest__Output as _queue_HealthCheckRequest__Output } from '../queue/HealthCheckRequest.js';
import type { HealthCheckResponse as _queue_HealthCheckResponse, HealthCheckResponse__Output as _queue_HealthCheckResponse__Output } from '../queue/HealthCheckResponse.js';
import type { MessageDetails as _queue_MessageDetails, MessageDetails__Output as _queue_MessageDetails__Output } from '../queue/MessageDetails.js';
import type { PurgeQueueRequest as _queue_PurgeQueueRequest, PurgeQueueRequest__Output as _queue_PurgeQueueRequest__Output } from '../queue/PurgeQueueRequest.js';
import type { PurgeQueueResponse as _queue_PurgeQueueResponse, PurgeQueueResponse__Output as _queue_PurgeQueueResponse__Output } from '../queue/PurgeQueueResponse.js';
import type { QueueInfo as _queue_QueueInfo, QueueInfo__Output as _queue_QueueInfo__Output } from '../queue/QueueInfo.js';

export interface QueueMonitoringServiceClient extends grpc.Client {
  GetConsumerInfo(argument: _queue_GetConsumerInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_GetConsumerInfoResponse__Output>): grpc.ClientUnaryCall;
  GetConsumerInfo(argument: _queue_GetConsumerInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_queue_GetConsumerInfoResponse__Output>): grpc.ClientUnaryCall;
  GetConsumerInfo(argument: _queue_GetConsumerInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_GetConsumerInfoResponse__Output>): grpc.ClientUnaryCall;
  GetConsumerInfo(argument: _queue_GetConsumerInfoRequest, callback: grpc.requestCallback<_queue_GetConsumerInfoResponse__Output>): grpc.ClientUnaryCall;
  getConsumerInfo(argument: _queue_GetConsumerInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_GetConsumerInfoResponse__Output>): grpc.ClientUnaryCall;
  getConsumerInfo(argument: _queue_GetConsumerInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_queue_GetConsumerInfoResponse__Output>): grpc.ClientUnaryCall;
  getConsumerInfo(argument: _queue_GetConsumerInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_GetConsumerInfoResponse__Output>): grpc.ClientUnaryCall;
  getConsumerInfo(argument: _queue_GetConsumerInfoRequest, callback: grpc.requestCallback<_queue_GetConsumerInfoResponse__Output>): grpc.ClientUnaryCall;
  
  GetMessageDetails(argument: _queue_GetMessageDetailsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_MessageDetails__Output>): grpc.ClientUnaryCall;
  GetMessageDetails(argument: _queue_GetMessageDetailsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_queue_MessageDetails__Output>): grpc.ClientUnaryCall;
  GetMessageDetails(argument: _queue_GetMessageDetailsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_MessageDetails__Output>): grpc.ClientUnaryCall;
  GetMessageDetails(argument: _queue_GetMessageDetailsRequest, callback: grpc.requestCallback<_queue_MessageDetails__Output>): grpc.ClientUnaryCall;
  getMessageDetails(argument: _queue_GetMessageDetailsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_MessageDetails__Output>): grpc.ClientUnaryCall;
  getMessageDetails(argument: _queue_GetMessageDetailsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_queue_MessageDetails__Output>): grpc.ClientUnaryCall;
  getMessageDetails(argument: _queue_GetMessageDetailsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_MessageDetails__Output>): grpc.ClientUnaryCall;
  getMessageDetails(argument: _queue_GetMessageDetailsRequest, callback: grpc.requestCallback<_queue_MessageDetails__Output>): grpc.ClientUnaryCall;
  
  GetQueueInfo(argument: _queue_GetQueueInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_QueueInfo__Output>): grpc.ClientUnaryCall;
  GetQueueInfo(argument: _queue_GetQueueInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_queue_QueueInfo__Output>): grpc.ClientUnaryCall;
  GetQueueInfo(argument: _queue_GetQueueInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_QueueInfo__Output>): grpc.ClientUnaryCall;
  GetQueueInfo(argument: _queue_GetQueueInfoRequest, callback: grpc.requestCallback<_queue_QueueInfo__Output>): grpc.ClientUnaryCall;
  getQueueInfo(argument: _queue_GetQueueInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_QueueInfo__Output>): grpc.ClientUnaryCall;
  getQueueInfo(argument: _queue_GetQueueInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_queue_QueueInfo__Output>): grpc.ClientUnaryCall;
  getQueueInfo(argument: _queue_GetQueueInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_QueueInfo__Output>): grpc.ClientUnaryCall;
  getQueueInfo(argument: _queue_GetQueueInfoRequest, callback: grpc.requestCallback<_queue_QueueInfo__Output>): grpc.ClientUnaryCall;
  
  GetQueueStats(argument: _queue_GetQueueStatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_GetQueueStatsResponse__Output>): grpc.ClientUnaryCall;
  GetQueueStats(argument: _queue_GetQueueStatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_queue_GetQueueStatsResponse__Output>): grpc.ClientUnaryCall;
  GetQueueStats(argument: _queue_GetQueueStatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_GetQueueStatsResponse__Output>): grpc.ClientUnaryCall;
  GetQueueStats(argument: _queue_GetQueueStatsRequest, callback: grpc.requestCallback<_queue_GetQueueStatsResponse__Output>): grpc.ClientUnaryCall;
  getQueueStats(argument: _queue_GetQueueStatsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_GetQueueStatsResponse__Output>): grpc.ClientUnaryCall;
  getQueueStats(argument: _queue_GetQueueStatsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_queue_GetQueueStatsResponse__Output>): grpc.ClientUnaryCall;
  getQueueStats(argument: _queue_GetQueueStatsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_GetQueueStatsResponse__Output>): grpc.ClientUnaryCall;
  getQueueStats(argument: _queue_GetQueueStatsRequest, callback: grpc.requestCallback<_queue_GetQueueStatsResponse__Output>): grpc.ClientUnaryCall;
  
  HealthCheck(argument: _queue_HealthCheckRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_HealthCheckResponse__Output>): grpc.ClientUnaryCall;
  HealthCheck(argument: _queue_HealthCheckRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_queue_HealthCheckResponse__Output>): grpc.ClientUnaryCall;
  HealthCheck(argument: _queue_HealthCheckRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_HealthCheckResponse__Output>): grpc.ClientUnaryCall;
  HealthCheck(argument: _queue_HealthCheckRequest, callback: grpc.requestCallback<_queue_HealthCheckResponse__Output>): grpc.ClientUnaryCall;
  healthCheck(argument: _queue_HealthCheckRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_HealthCheckResponse__Output>): grpc.ClientUnaryCall;
  healthCheck(argument: _queue_HealthCheckRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_queue_HealthCheckResponse__Output>): grpc.ClientUnaryCall;
  healthCheck(argument: _queue_HealthCheckRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_HealthCheckResponse__Output>): grpc.ClientUnaryCall;
  healthCheck(argument: _queue_HealthCheckRequest, callback: grpc.requestCallback<_queue_HealthCheckResponse__Output>): grpc.ClientUnaryCall;
  
  PurgeQueue(argument: _queue_PurgeQueueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_PurgeQueueResponse__Output>): grpc.ClientUnaryCall;
  PurgeQueue(argument: _queue_PurgeQueueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_queue_PurgeQueueResponse__Output>): grpc.ClientUnaryCall;
  PurgeQueue(argument: _queue_PurgeQueueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_PurgeQueueResponse__Output>): grpc.ClientUnaryCall;
  PurgeQueue(argument: _queue_PurgeQueueRequest, callback: grpc.requestCallback<_queue_PurgeQueueResponse__Output>): grpc.ClientUnaryCall;
  purgeQueue(argument: _queue_PurgeQueueRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_PurgeQueueResponse__Output>): grpc.ClientUnaryCall;
  purgeQueue(argument: _queue_PurgeQueueRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_queue_PurgeQueueResponse__Output>): grpc.ClientUnaryCall;
  purgeQueue(argument: _queue_PurgeQueueRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_queue_PurgeQueueResponse__Output>): grpc.ClientUnaryCall;
  purgeQueue(argument: _queue_PurgeQueueRequest, callback: grpc.requestCallback<_queue_PurgeQueueResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface QueueMonitoringServiceHandlers extends grpc.UntypedServiceImplementation {
  GetConsumerInfo: grpc.handleUnaryCall<_queue_GetConsumerInfoRequest__Output, _queue_GetConsumerInfoResponse>;
  
  GetMessageDetails: grpc.handleUnaryCall<_queue_GetMessageDetailsRequest__Output, _queue_MessageDetails>;
  
  GetQueueInfo: grpc.handleUnaryCall<_queue_GetQueueInfoRequest__Output, _queue_QueueInfo>;
  
  GetQueueStats: grpc.handleUnaryCall<_queue_GetQueueStatsRequest__Output, _queue_GetQueueStatsResponse>;
  
  HealthCheck: grpc.handleUnaryCall<_queue_HealthCheckRequest__Output, _queue_HealthCheckResponse>;
  
  PurgeQueue: grpc.handleUnaryCall<_queue_PurgeQueueRequest__Output, _queue_PurgeQueueResponse>;
  
}

export interface QueueMonitoringServiceDefinition extends grpc.ServiceDefinition {
  GetConsumerInfo: MethodDefinition<_queue_GetConsumerInfoRequest, _queue_GetConsumerInfoResponse, _queue_GetConsumerInfoRequest__Output, _queue_GetConsumerInfoResponse__Output>
  GetMessageDetails: MethodDefinition<_queue_GetMessageDetailsRequest, _queue_MessageDetails, _queue_GetMessageDetailsRequest__Output, _queue_MessageDetails__Output>
  GetQueueInfo: MethodDefinition<_queue_GetQueueInfoRequest, _queue_QueueInfo, _queue_GetQueueInfoRequest__Output, _queue_QueueInfo__Output>
  GetQueueStats: MethodDefinition<_queue_GetQueueStatsRequest, _queue_GetQueueStatsResponse, _queue_GetQueueStatsRequest__Output, _queue_GetQueueStatsResponse__Output>
  HealthCheck: MethodDefinition<_queue_HealthCheckRequest, _queue_HealthCheckResponse, _queue_HealthCheckRequest__Output, _queue_HealthCheckResponse__Output>
  PurgeQueue: MethodDefinition<_queue_PurgeQueueRequest, _queue_PurgeQueueResponse, _queue_PurgeQueueRequest__Output, _queue_PurgeQueueResponse__Output>
}
