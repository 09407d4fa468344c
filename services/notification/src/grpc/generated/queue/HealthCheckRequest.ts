// Original file: proto/queue.proto


export interface HealthCheckRequest {
}

export interface HealthCheckRequest__Output {
}
