import { encodeBodies } from "@pris/worker";
import { createTransport } from "nodemailer";
import { describe, expect, test } from "vitest";

/** nodemailer's own stream transport: the message as it would go to the SMTP server, in bytes. */
const transport = createTransport({ streamTransport: true, buffer: true, newline: "windows" });
const headers = {
  from: "PRIS <pris@cyber.example.re>",
  to: "analyste@ars.example.re",
  subject: "[PRIS] Nouvel incident REU-2026-00042 — EHPAD « Les Filaos »",
  messageId: "<incident-declared.1.2@cyber.example.re>",
  date: new Date("2026-12-07T10:00:00Z"),
};
/** The boundaries are random per message; the rest must not differ by a byte. */
const sameBoundaries = (raw: Buffer) => raw.toString().replace(/_NmP-[\w-]+-Part_\d+/g, "BOUNDARY");

describe("bodies encoded once for every recipient", () => {
  test.each([
    ["accents, long lines and a lone dot", `Bonjour,\n${"Un incident a été déclaré. ".repeat(30)}\n.\nfin`],
    ["a final line break", "Un incident a été déclaré.\n"],
    ["plain ASCII", "Incident declared"],
  ])("make the message nodemailer makes from the strings: %s", async (_, text) => {
    const html = `<p>${text.replaceAll("\n", "<br>")}</p><p>Élément « cité »</p>`;
    const plain = await transport.sendMail({ ...headers, text, html });
    const encoded = await encodeBodies({ subject: headers.subject, text, html });
    const reused = await transport.sendMail({
      ...headers,
      text: { raw: encoded.encoded.text },
      html: { raw: encoded.encoded.html },
    });
    expect(sameBoundaries(reused.message as Buffer)).toBe(sameBoundaries(plain.message as Buffer));
  });
});
