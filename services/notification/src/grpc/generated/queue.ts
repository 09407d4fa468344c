import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from './google/protobuf/Timestamp.js';
import type { ComponentHealth as _queue_ComponentHealth, ComponentHealth__Output as _queue_ComponentHealth__Output } from './queue/ComponentHealth.js';
import type { ConsumerInfo as _queue_ConsumerInfo, ConsumerInfo__Output as _queue_ConsumerInfo__Output } from './queue/ConsumerInfo.js';
import type { GetConsumerInfoRequest as _queue_GetConsumerInfoRequest, GetConsumerInfoRequest__Output as _queue_GetConsumerInfoRequest__Output } from './queue/GetConsumerInfoRequest.js';
import type { GetConsumerInfoResponse as _queue_GetConsumerInfoResponse, GetConsumerInfoResponse__Output as _queue_GetConsumerInfoResponse__Output } from './queue/GetConsumerInfoResponse.js';
import type { GetMessageDetailsRequest as _queue_GetMessageDetailsRequest, GetMessageDetailsRequest__Output as _queue_GetMessageDetailsRequest__Output } from './queue/GetMessageDetailsRequest.js';
import type { GetQueueInfoRequest as _queue_GetQueueInfoRequest, GetQueueInfoRequest__Output as _queue_GetQueueInfoRequest__Output } from './queue/GetQueueInfoRequest.js';
import type { GetQueueStatsRequest as _queue_GetQueueStatsRequest, GetQueueStatsRequest__Output as _queue_GetQueueStatsRequest__Output } from './queue/GetQueueStatsRequest.js';
import type { GetQueueStatsResponse as _queue_GetQueueStatsResponse, GetQueueStatsResponse__Output as _queue_GetQueueStatsResponse__Output } from './queue/GetQueueStatsResponse.js';
import type { HealthCheckRequest as _queue_HealthCheckRequest, HealthCheckRequest__Output as _queue_HealthCheckRequest__Output } from './queue/HealthCheckRequest.js';
import type { HealthCheckResponse as _queue_HealthCheckResponse, HealthCheckResponse__Output as _queue_HealthCheckResponse__Output } from './queue/HealthCheckResponse.js';
import type { MessageDetails as _queue_MessageDetails, MessageDetails__Output as _queue_MessageDetails__Output } from './queue/MessageDetails.js';
import type { PurgeQueueRequest as _queue_PurgeQueueRequest, PurgeQueueRequest__Output as _queue_PurgeQueueRequest__Output } from './queue/PurgeQueueRequest.js';
import type { PurgeQueueResponse as _queue_PurgeQueueResponse, PurgeQueueResponse__Output as _queue_PurgeQueueResponse__Output } from './queue/PurgeQueueResponse.js';
import type { QueueInfo as _queue_QueueInfo, QueueInfo__Output as _queue_QueueInfo__Output } from './queue/QueueInfo.js';
import type { QueueMonitoringServiceClient as _queue_QueueMonitoringServiceClient, QueueMonitoringServiceDefinition as _queue_QueueMonitoringServiceDefinition } from './queue/QueueMonitoringService.js';
import type { QueueStats as _queue_QueueStats, QueueStats__Output as _queue_QueueStats__Output } from './queue/QueueStats.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  google: {
    protobuf: {
      Timestamp: MessageTypeDefinition<_google_protobuf_Timestamp, _google_protobuf_Timestamp__Output>
    }
  }
  queue: {
    ComponentHealth: MessageTypeDefinition<_queue_ComponentHealth, _queue_ComponentHealth__Output>
    ConsumerInfo: MessageTypeDefinition<_queue_ConsumerInfo, _queue_ConsumerInfo__Output>
    GetConsumerInfoRequest: MessageTypeDefinition<_queue_GetConsumerInfoRequest, _queue_GetConsumerInfoRequest__Output>
    GetConsumerInfoResponse: MessageTypeDefinition<_queue_GetConsumerInfoResponse, _queue_GetConsumerInfoResponse__Output>
    GetMessageDetailsRequest: MessageTypeDefinition<_queue_GetMessageDetailsRequest, _queue_GetMessageDetailsRequest__Output>
    GetQueueInfoRequest: MessageTypeDefinition<_queue_GetQueueInfoRequest, _queue_GetQueueInfoRequest__Output>
    GetQueueStatsRequest: MessageTypeDefinition<_queue_GetQueueStatsRequest, _queue_GetQueueStatsRequest__Output>
    GetQueueStatsResponse: MessageTypeDefinition<_queue_GetQueueStatsResponse, _queue_GetQueueStatsResponse__Output>
    HealthCheckRequest: MessageTypeDefinition<_queue_HealthCheckRequest, _queue_HealthCheckRequest__Output>
    HealthCheckResponse: MessageTypeDefinition<_queue_HealthCheckResponse, _queue_HealthCheckResponse__Output>
    MessageDetails: MessageTypeDefinition<_queue_MessageDetails, _queue_MessageDetails__Output>
    PurgeQueueRequest: MessageTypeDefinition<_queue_PurgeQueueRequest, _queue_PurgeQueueRequest__Output>
    PurgeQueueResponse: MessageTypeDefinition<_queue_PurgeQueueResponse, _queue_PurgeQueueResponse__Output>
    QueueInfo: MessageTypeDefinition<_queue_QueueInfo, _queue_QueueInfo__Output>
    QueueMonitoringService: SubtypeConstructor<typeof grpc.Client, _queue_QueueMonitoringServiceClient> & { service: _queue_QueueMonitoringServiceDefinition }
    QueueStats: MessageTypeDefinition<_queue_QueueStats, _queue_QueueStats__Output>
  }
}

