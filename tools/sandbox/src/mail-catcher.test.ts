import { connect } from "node:net";
import { createTransport } from "nodemailer";
import { afterEach, describe, expect, it } from "vitest";
import { CAUGHT_LIMIT, MAX_MAIL_BYTES, type MailCatcher, startMailCatcher } from "./mail-catcher.js";

const FROM = '"Zydon ↔ Bling (demo)" <alertas@demo.local>';

let catcher: MailCatcher | undefined;
afterEach(async () => {
  await catcher?.close();
  catcher = undefined;
});

describe("the demo's mail catcher (issue 18)", () => {
  it("receives what nodemailer sends over plain smtp:// exactly, utf-8 subject and body included", async () => {
    catcher = await startMailCatcher({ port: 0 });
    expect(catcher.url).toBe(`smtp://127.0.0.1:${catcher.port}`);
    const transport = createTransport(catcher.url);
    const text =
      "Olá! O pedido 1042 não foi enviado ao Bling: o cliente não tem CPF/CNPJ.\n\nAção: corrigir o cadastro.";
    await transport.sendMail({
      from: FROM,
      to: "lojista@exemplo.com.br",
      subject: "Alerta: pedido não enviado ao Bling",
      text,
      html: "<p>Olá! O pedido <b>1042</b> não foi enviado.</p>",
    });
    const [mail, ...rest] = catcher.messages();
    expect(rest).toEqual([]);
    expect(mail).toMatchObject({
      id: 1,
      from: FROM,
      to: ["lojista@exemplo.com.br"],
      subject: "Alerta: pedido não enviado ao Bling",
      text,
      html: "<p>Olá! O pedido <b>1042</b> não foi enviado.</p>",
    });
    expect(Date.now() - Date.parse(mail?.receivedAt ?? "")).toBeLessThan(10_000);
    expect(mail?.receivedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it("lists the newest first, every envelope recipient, no html when there is none", async () => {
    catcher = await startMailCatcher({ port: 0 });
    const transport = createTransport(catcher.url);
    await transport.sendMail({ from: FROM, to: "a@exemplo.com.br", subject: "primeiro", text: "1" });
    await transport.sendMail({
      from: FROM,
      to: "b@exemplo.com.br",
      cc: "c@exemplo.com.br",
      subject: "segundo",
      text: "2",
    });
    const mails = catcher.messages();
    expect(mails.map((m) => [m.id, m.subject])).toEqual([
      [2, "segundo"],
      [1, "primeiro"],
    ]);
    expect(mails[0]?.to).toEqual(["b@exemplo.com.br", "c@exemplo.com.br"]);
    expect(mails[0]).not.toHaveProperty("html");
    // Text-only: the body's last line break is SMTP's, so one is always there.
    expect(mails.map((m) => m.text)).toEqual(["2\n", "1\n"]);
    // A copy: the caller cannot edit the catcher's list.
    mails.pop();
    expect(catcher.messages()).toHaveLength(2);
  });

  it(`keeps only the newest ${CAUGHT_LIMIT}`, async () => {
    catcher = await startMailCatcher({ port: 0 });
    // Five connections at once: one SMTP round trip takes ~50 ms here, 205 in a row would take 10 s.
    const transport = createTransport({
      host: "127.0.0.1",
      port: catcher.port,
      pool: true,
      maxConnections: 5,
      maxMessages: 1000,
    });
    try {
      await Promise.all(
        Array.from({ length: CAUGHT_LIMIT + 5 }, (_, i) =>
          transport.sendMail({ from: FROM, to: "a@exemplo.com.br", subject: `alerta ${i + 1}`, text: "x" }),
        ),
      );
    } finally {
      transport.close();
    }
    const ids = catcher.messages().map((m) => m.id);
    expect(ids).toEqual(Array.from({ length: CAUGHT_LIMIT }, (_, i) => CAUGHT_LIMIT + 5 - i));
  }, 30_000);

  it("refuses a message over the size limit and keeps nothing of it", async () => {
    catcher = await startMailCatcher({ port: 0 });
    const transport = createTransport(catcher.url);
    await expect(
      transport.sendMail({
        from: FROM,
        to: "a@exemplo.com.br",
        subject: "grande",
        text: "x".repeat(MAX_MAIL_BYTES + 1024),
      }),
    ).rejects.toMatchObject({ responseCode: 552 });
    expect(catcher.messages()).toEqual([]);
  });

  it("close() frees the port and stops taking mail", async () => {
    const c = await startMailCatcher({ port: 0 });
    await c.close();
    const refused = await new Promise<string>((resolve) => {
      const s = connect(c.port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve("connected");
      });
      s.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
    // The same port can be taken again (dev restarts on DEV_SMTP_PORT).
    catcher = await startMailCatcher({ port: c.port });
    expect(catcher.port).toBe(c.port);
  });

  it("reports a taken port as EADDRINUSE", async () => {
    catcher = await startMailCatcher({ port: 0 });
    await expect(startMailCatcher({ port: catcher.port })).rejects.toMatchObject({ code: "EADDRINUSE" });
  });
});
