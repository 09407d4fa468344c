-- Worker heartbeats and dead-worker requeue are the kernel's now (`platform.job_workers`,
-- `platform.job_runs`); `workers_active` counts the kernel's live workers of the process queue.
DROP TABLE IF EXISTS workers;
