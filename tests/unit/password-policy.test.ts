import { withoutLinkTokens } from "@pris/api";
import {
  checkPassword,
  loadPasswordEstimator,
  PASSWORD_MAX_LENGTH,
  type PasswordEstimator,
  passwordLength,
  passwordUserInputs,
} from "@pris/domain";
import { signPasswordResetToken, verifyPasswordResetToken } from "@pris/domain/password-reset-token";
import { beforeAll, describe, expect, test } from "vitest";

let estimator: PasswordEstimator;
const marie = {
  email: "marie.hoarau@ch-alpha.test",
  displayName: "Marie Hoarau",
  regionName: "La Réunion",
  regionCode: "REU",
};

beforeAll(async () => {
  estimator = await loadPasswordEstimator();
});

describe("the password policy", () => {
  test.each([
    ["twelve spaces", " ".repeat(12), "au moins 12 caractères"],
    ["spaces around a short word", "    court    ", "au moins 12 caractères"],
    ["tabs and new lines", "\t\t\t\t\t\t  \n    ", "au moins 12 caractères"],
    ["a common password", "motdepasse123", "trop facile à deviner"],
    ["a keyboard row", "azertyuiop123", "rangée de touches"],
    ["a repeated character", "aaaaaaaaaaaaaaaa", "trop facile à deviner"],
    ["the person's name", "MarieHoarau2026!", "votre nom"],
    ["the person's name with spaces", "Marie Hoarau La Réunion", "votre nom"],
    ["the e-mail", "marie.hoarau@ch-alpha", "adresse électronique"],
    ["the service and the region", "PRIS-Reunion-2026", "PRIS ou le nom de la région"],
  ])("refuses %s, saying why in French", (_what, password, reason) => {
    const verdict = checkPassword(estimator, password, marie);
    expect(verdict.acceptable).toBe(false);
    expect(verdict.score).toBeLessThan(4);
    expect(verdict.problems.join(" ")).toContain(reason);
    expect(verdict.suggestions.length).toBeGreaterThan(0);
  });

  test("the too-long refusal does not pretend the password is weak", () => {
    expect(checkPassword(estimator, "x".repeat(PASSWORD_MAX_LENGTH + 1), marie).acceptable).toBe(false);
    const verdict = checkPassword(estimator, "Cascade violette ".repeat(9), marie);
    expect(verdict).toMatchObject({
      acceptable: false,
      problems: ["Il doit compter au plus 128 caractères."],
    });
  });

  test.each([
    "Cascade violette sous le tambour",
    "Le chat de Mamie boit du café noir",
    "un mot de passe assez long",
    "Tr0ub4dor&3xyz-quinze",
  ])("accepts a strong passphrase: %s", (password) => {
    expect(checkPassword(estimator, password, marie)).toEqual({
      acceptable: true,
      score: 4,
      problems: [],
      suggestions: [],
    });
  });

  test("a name is only refused for the person who bears it", () => {
    expect(checkPassword(estimator, "Marie Hoarau mange des letchis", marie).acceptable).toBe(true);
    expect(checkPassword(estimator, "mariehoarau974!", marie).acceptable).toBe(false);
    expect(
      checkPassword(estimator, "Jeanne Payet Jeanne Payet", { displayName: "Jeanne Payet" }).acceptable,
    ).toBe(false);
  });

  test("length counts characters, not UTF-16 units, without spaces at either end", () => {
    expect(passwordLength("  éàü🙂  ")).toBe(4);
    expect(passwordLength("a b")).toBe(3);
  });

  test("the guessable words: name, e-mail parts, establishment domain, PRIS, region", () => {
    expect(passwordUserInputs(marie)).toEqual(
      expect.arrayContaining([
        "pris",
        "marie",
        "hoarau",
        "mariehoarau",
        "ch-alpha",
        "chalpha",
        "réunion",
        "reunion",
        "reu",
      ]),
    );
    expect(passwordUserInputs(marie)).not.toContain("test");
  });
});

describe("password reset links", () => {
  const SECRET = "a-secret-of-at-least-thirty-two-characters";
  const user = {
    id: "0190abcd-0000-7000-8000-00000000000f",
    passwordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
    passwordChangedAt: null,
  };
  const expiresAt = new Date("2027-01-01T00:00:00Z");

  test("a link names its account and expiry, fits a router parameter, and checks", () => {
    const token = signPasswordResetToken(SECRET, user, expiresAt);
    expect(token.startsWith(`${user.id}.1798761600.`)).toBe(true);
    expect(token.length).toBeLessThanOrEqual(100);
    expect(verifyPasswordResetToken(SECRET, token)).toMatchObject({ ok: true, userId: user.id, expiresAt });
  });

  test("another secret, a changed expiry or account, or any other form is invalid", () => {
    const token = signPasswordResetToken(SECRET, user, expiresAt);
    const [id, expires, fingerprint, signature] = token.split(".");
    const invalid = { ok: false, reason: "invalid" };
    expect(verifyPasswordResetToken(`${SECRET}x`, token)).toEqual(invalid);
    expect(
      verifyPasswordResetToken(SECRET, `${id}.${Number(expires) + 1}.${fingerprint}.${signature}`),
    ).toEqual(invalid);
    expect(
      verifyPasswordResetToken(
        SECRET,
        `0190abcd-0000-7000-8000-00000000000e.${expires}.${fingerprint}.${signature}`,
      ),
    ).toEqual(invalid);
    expect(verifyPasswordResetToken(SECRET, `${token}.x`)).toEqual(invalid);
    expect(verifyPasswordResetToken(SECRET, "")).toEqual(invalid);
  });

  test("the link's token never reaches the logs", () => {
    expect(withoutLinkTokens("/api/v1/auth/password-reset/abc.1.fp.sig")).toBe(
      "/api/v1/auth/password-reset/[redacted]",
    );
    expect(withoutLinkTokens("/mot-de-passe/abc.1.fp.sig?x=1")).toBe("/mot-de-passe/[redacted]?x=1");
    expect(withoutLinkTokens("/api/v1/auth/password-reset")).toBe("/api/v1/auth/password-reset");
  });

  test("the link is bound to the password as it was: a new hash makes it another link", () => {
    const before = signPasswordResetToken(SECRET, user, expiresAt);
    const after = signPasswordResetToken(
      SECRET,
      { ...user, passwordHash: `${user.passwordHash}x` },
      expiresAt,
    );
    expect(before.split(".")[2]).not.toBe(after.split(".")[2]);
  });
});
