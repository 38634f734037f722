import { type AddressObject, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

/**
 * The demo's mailbox: a local SMTP server that accepts every message (no auth, no TLS, so nodemailer's plain
 * `smtp://host:port` transport works as is) and keeps the newest ones in memory for the simulator console's
 * /mail page and for tests. Nothing is relayed anywhere.
 */

/** How many messages (and captured webhooks) the demo keeps; older ones are dropped. */
export const CAUGHT_LIMIT = 200;
/** Bigger messages are refused with 552 (an alert is a few KiB). */
export const MAX_MAIL_BYTES = 1024 * 1024;

export interface CaughtMail {
  /** 1, 2, 3… in arrival order, per catcher. */
  id: number;
  /** ISO time the message was accepted. */
  receivedAt: string;
  /** The From header as written (display name and address), or the envelope sender without one. */
  from: string;
  /** The envelope recipients (RCPT TO): who the message was actually delivered to, Cc and Bcc included. */
  to: string[];
  subject: string;
  /**
   * The plain-text body ("" when the message has none). Exactly as sent in a text + HTML message; a text-only
   * one always ends with a line break (on the wire its body ends with CRLF, so "a" and "a\n" look the same).
   */
  text: string;
  html?: string;
}

export interface MailCatcherOptions {
  host?: string;
  /** 0 = any free port. */
  port: number;
}

export interface MailCatcher {
  port: number;
  /** `smtp://host:port`, the value for SMTP_URL. */
  url: string;
  /** Newest first, at most CAUGHT_LIMIT. */
  messages(): CaughtMail[];
  close(): Promise<void>;
}

/** Puts `item` in front and drops whatever is past CAUGHT_LIMIT. */
export function keepNewest<T>(list: T[], item: T): void {
  list.unshift(item);
  if (list.length > CAUGHT_LIMIT) list.length = CAUGHT_LIMIT;
}

function addressText(a: AddressObject | AddressObject[] | undefined): string {
  if (!a) return "";
  return (Array.isArray(a) ? a : [a]).map((o) => o.text).join(", ");
}

export async function startMailCatcher(opts: MailCatcherOptions): Promise<MailCatcher> {
  const host = opts.host ?? "127.0.0.1";
  const caught: CaughtMail[] = [];
  let nextId = 1;
  const server = new SMTPServer({
    banner: "Zydon ↔ Bling demo mail catcher",
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    size: MAX_MAIL_BYTES,
    rejectOversized: true,
    logger: false,
    // close() gives an open session this long to finish, then drops it.
    closeTimeout: 1_000,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          if (stream.sizeExceeded) return callback();
          const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
          keepNewest(caught, {
            id: nextId++,
            receivedAt: new Date().toISOString(),
            from: addressText(parsed.from) || envelopeFrom,
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: parsed.subject ?? "",
            text: parsed.text ?? "",
            ...(typeof parsed.html === "string" ? { html: parsed.html } : {}),
          });
          callback();
        })
        .catch((err: unknown) => callback(err as Error));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // A client dropping its connection is reported here; without a listener it would crash `pnpm dev`.
  server.on("error", () => {});
  const addr = server.server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  return {
    port,
    url: `smtp://${host}:${port}`,
    messages: () => caught.slice(),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
