import { type Logger, type LoggerOptions, pino } from "pino";

/**
 * Every key that may carry a secret, wherever it sits in a log object. Pino replaces the values with
 * "[redacted]" before serialization, so a careless `log.info({ tokens })` still leaks nothing.
 */
export const redactedKeys = [
  "accessToken",
  "refreshToken",
  "access_token",
  "refresh_token",
  "accessKeyCode",
  "accessKeyToken",
  "access_key_code",
  "access_key_token",
  "clientSecret",
  "client_secret",
  "password",
  "authorization",
  "Authorization",
  "cookie",
  "set-cookie",
  "x-zydon-access-key-token",
  "x-zydon-access-key-code",
  "token",
  "code",
  "secret",
  "SECRETS_KEY",
  "SECRETS_PREVIOUS_KEY",
  "SESSION_SECRET",
  "BLING_CLIENT_SECRET",
  "ZYDON_ACCESS_KEY",
];

const paths = redactedKeys.flatMap((k) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
  const dot = key.startsWith("[") ? key : `.${key}`;
  return [key, `*${dot}`, `*.*${dot}`, `req.headers${dot}`, `res.headers${dot}`];
});

export function createLogger(opts: {
  level: string;
  name?: string;
  destination?: { write(s: string): void };
}): Logger {
  const options: LoggerOptions = {
    level: opts.level,
    redact: { paths, censor: "[redacted]" },
    base: opts.name ? { service: opts.name } : {},
  };
  return opts.destination ? pino(options, opts.destination as pino.DestinationStream) : pino(options);
}

export type { Logger };
