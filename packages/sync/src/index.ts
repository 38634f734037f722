export * from "./queues/jobs.js";
export * from "./queues/producer.js";
export * from "./settings/tenant-settings.js";
export * from "./tokens/redis-lock.js";
export * from "./tokens/token-manager.js";
