import { DECLARATION_CHANNEL_LABELS, DECLARATION_CHANNELS, declarationChannel } from "@pris/domain";
import { describe, expect, test } from "vitest";

describe("the channel a declaration is recorded with", () => {
  test("an API key's is the API, an RSSI's the form, whatever they omit", () => {
    expect(declarationChannel("api_key", undefined)).toEqual({ ok: true, channel: "api" });
    expect(declarationChannel("api_key", "api")).toEqual({ ok: true, channel: "api" });
    expect(declarationChannel("rssi", undefined)).toEqual({ ok: true, channel: "form" });
    expect(declarationChannel("rssi", "form")).toEqual({ ok: true, channel: "form" });
  });

  test("an analyst on behalf of an establishment: phone by default, or e-mail", () => {
    expect(declarationChannel("analyst", undefined)).toEqual({ ok: true, channel: "phone" });
    expect(declarationChannel("analyst", "email")).toEqual({ ok: true, channel: "email" });
  });

  test("any other claim is refused, naming the field", () => {
    for (const [role, channel] of [
      ["rssi", "phone"],
      ["rssi", "email"],
      ["rssi", "api"],
      ["api_key", "form"],
      ["api_key", "email"],
      ["analyst", "form"],
      ["analyst", "api"],
    ] as const) {
      const decided = declarationChannel(role, channel);
      expect(decided.ok, `${role} ${channel}`).toBe(false);
      if (!decided.ok) expect(decided.error.field).toBe("/channel");
    }
  });

  test("every channel has a French label", () => {
    expect(DECLARATION_CHANNELS.map((c) => DECLARATION_CHANNEL_LABELS[c])).toEqual([
      "Formulaire",
      "API",
      "Courriel",
      "Téléphone",
    ]);
  });
});
