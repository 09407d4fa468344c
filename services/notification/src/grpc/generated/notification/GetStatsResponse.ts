// Original file: proto/notification.proto

import type { Long } from '@grpc/proto-loader';

export interface GetStatsResponse {
  'pending'?: (number | string | Long);
  'processing'?: (number | string | Long);
  'delivered'?: (number | string | Long);
  'failed'?: (number | string | Long);
  'cancelled'?: (number | string | Long);
  'average_delivery_time'?: (number | string);
  'queued'?: (number | string | Long);
  'retrying'?: (number | string | Long);
}

export interface GetStatsResponse__Output {
  'pending': (number);
  'processing': (number);
  'delivered': (number);
  'failed': (number);
  'cancelled': (number);
  'average_delivery_time': (number);
  'queued': (number);
  'retrying': (number);
}
