import type { AuthMethod } from "@pris/db";
import { describe, expect, test } from "vitest";
import {
  AUTH_METHOD_LABELS,
  describeSignIn,
  endedMessage,
} from "../../services/web/src/lib/session-labels.ts";
import { formatSince } from "../../services/web/src/lib/zoned-time.ts";

const PROVIDERS = [{ name: "proconnect", label: "ProConnect" }];

describe("how a session was opened, in French", () => {
  test("every method a session can record has a label", () => {
    const all: Record<AuthMethod, true> = {
      pwd: true,
      sso: true,
      mfa: true,
      invitation: true,
      reset: true,
      webauthn: true,
      otp: true,
      recovery: true,
    };
    for (const method of Object.keys(all)) expect(AUTH_METHOD_LABELS[method], method).toBeTruthy();
  });

  test("the first factor first, then the second, whatever the recorded order", () => {
    expect(describeSignIn({ methods: ["pwd"], provider: null })).toBe("Mot de passe");
    expect(describeSignIn({ methods: ["webauthn", "pwd"], provider: null })).toBe(
      "Mot de passe + clé d'accès",
    );
    expect(describeSignIn({ methods: ["pwd", "otp", "otp"], provider: null })).toBe(
      "Mot de passe + application d'authentification",
    );
    expect(describeSignIn({ methods: ["reset", "recovery"], provider: null })).toBe(
      "Mot de passe choisi depuis un lien de réinitialisation + code de secours",
    );
  });

  test("a single sign-on names its provider by its label, or by its key when it is not configured", () => {
    expect(describeSignIn({ methods: ["sso"], provider: "proconnect" }, PROVIDERS)).toBe(
      "Authentification unique (ProConnect)",
    );
    expect(describeSignIn({ methods: ["mfa", "sso"], provider: "psc" }, PROVIDERS)).toBe(
      "Authentification unique (psc) + double facteur chez le fournisseur",
    );
  });

  test("an unknown method is shown by its code, none at all is said", () => {
    expect(describeSignIn({ methods: ["pwd", "hwk"], provider: null })).toBe("Mot de passe + hwk");
    expect(describeSignIn({ methods: [], provider: null })).toBe("Méthode non enregistrée");
  });
});

describe("counts and times", () => {
  test("sessions ended, agreed in number", () => {
    expect(endedMessage(0)).toBe("Aucune session n'était ouverte : rien à terminer.");
    expect(endedMessage(1)).toBe("1 session terminée.");
    expect(endedMessage(3)).toBe("3 sessions terminées.");
  });

  test("last activity: moments, minutes, hours, then the region's date", () => {
    const now = Date.parse("2026-03-02T10:00:00Z");
    const ago = (s: number) => new Date(now - s * 1000);
    // Intl puts a non-breaking space between a number and its unit.
    const since = (at: Date) => formatSince(at, now, "Indian/Reunion").replace(/\s/g, " ");
    expect(since(ago(20))).toBe("à l'instant");
    expect(since(ago(180))).toBe("il y a 3 min");
    expect(since(ago(5 * 3600 + 60))).toBe("il y a 5 h");
    // A clock a little ahead of the server's is not "in the future".
    expect(since(new Date(now + 5000))).toBe("à l'instant");
    expect(since(ago(2 * 86_400))).toBe("le 28/02/2026 14:00");
  });
});
