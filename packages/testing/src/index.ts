export { generateCnpj, generateCpf, seededRandom } from "./documents.js";
export { adminDatabaseUrl, createTestDatabase, type TestDatabase } from "./test-database.js";
export { testEnv } from "./test-env.js";
export { createTestRedis, type TestRedis, testRedisUrl } from "./test-redis.js";
