// Original file: proto/notification.proto


export interface GetStatsRequest {
}

export interface GetStatsRequest__Output {
}
