import { monotonicFactory } from 'ulid';

const next = monotonicFactory();

export const newNotificationId = () => `ntf_${next()}`;
export const newBatchId = () => `btc_${next()}`;
export const newDeadLetterId = () => `dlq_${next()}`;

export const NOTIFICATION_ID = /^ntf_[0-9A-HJKMNP-TV-Z]{26}$/;
