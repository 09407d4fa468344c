// Original file: proto/notification.proto


export interface GetNotificationHistoryRequest {
  'page'?: (number);
  'page_size'?: (number);
  'filters'?: ({[key: string]: string});
}

export interface GetNotificationHistoryRequest__Output {
  'page': (number);
  'page_size': (number);
  'filters': ({[key: string]: string});
}
