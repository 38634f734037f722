/** A complete, valid environment for tests; override what the test is about. */
export function testEnv(
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    NODE_ENV: "test",
    LOG_LEVEL: "silent",
    DATABASE_URL: "postgres://postgres@127.0.0.1:5432/postgres",
    REDIS_URL: "redis://127.0.0.1:6379",
    REDIS_PREFIX: "zbt",
    PUBLIC_BASE_URL: "http://127.0.0.1:3000",
    SECRETS_KEY: Buffer.alloc(32, 1).toString("base64"),
    SECRETS_KEY_ID: "k1",
    SESSION_SECRET: "test-session-secret-0123456789abcdef",
    BLING_CLIENT_ID: "test-bling-client-id",
    BLING_CLIENT_SECRET: "test-bling-client-secret-value",
    BLING_API_BASE_URL: "http://127.0.0.1:4010/Api/v3",
    BLING_AUTHORIZE_URL: "http://127.0.0.1:4010/Api/v3/oauth/authorize",
    ZYDON_PLUGIN_ID: "00000000-0000-4000-8000-000000000001",
    ZYDON_ACCESS_KEY: "test-zydon-plugin-access-key",
    ZYDON_API_BASE_URL: "http://127.0.0.1:4020",
    ZYDON_ADMIN_URL: "http://127.0.0.1:4020",
    // The simulators and the demo image server listen on loopback, which tenant URLs may not reach otherwise.
    OUTBOUND_ALLOW_HOSTS: "127.0.0.1,localhost",
    ...overrides,
  };
}
