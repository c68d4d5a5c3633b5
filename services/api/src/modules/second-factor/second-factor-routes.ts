import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  deletePasskey,
  deleteTotp,
  dropRecoveryCodesWithoutFactor,
  enrolledMethods,
  findPasskey,
  insertPasskey,
  listPasskeys,
  putUnconfirmedTotp,
  replaceRecoveryCodes,
  resealTotp,
  spendRecoveryCode,
  spendTotpStep,
  totpOf,
  touchPasskey,
} from "@pris/db";
import {
  MyFactorsSchema,
  PasskeyAuthenticationSchema,
  PasskeyParamsSchema,
  PasskeyRegistrationSchema,
  RecoveryCodeSchema,
  RecoveryCodesSchema,
  SessionSchema,
  TotpCodeSchema,
  TotpSetupSchema,
  WebAuthnOptionsSchema,
} from "@pris/domain";
import type {
  AuthenticationResponseJSON,
  RegistrationResponseJSON,
  VerifiedAuthenticationResponse,
  VerifiedRegistrationResponse,
} from "@simplewebauthn/server";
import type { FastifyRequest } from "fastify";
import Type from "typebox";
import { PEOPLE } from "../../auth/principal.ts";
import { createThrottle } from "../../auth/throttle.ts";
import { serviceSecrets } from "../../auth/tokens.ts";
import { AppError, ConflictError, NotFoundError } from "../../errors.ts";
import { problems } from "../../http.ts";
import {
  completeSecondFactor,
  currentSession,
  requireRecentCheck,
  storeChallenge,
  takeChallenge,
} from "./factor-session.ts";
import { newRecoveryCodes, recoveryCodeDigest } from "./recovery-codes.ts";
import { AMR_OF, auditOwn, guardEnrolment, myFactors, refuse, userLabel } from "./second-factor-service.ts";
import { decryptSecret, encryptSecret, matchingStep, newTotp, totpKeys } from "./totp.ts";

/**
 * @simplewebauthn/server, loaded on the first passkey request: about 15 MB a process would otherwise hold
 * from its start, for what most requests never need (as qrcode and openid-client).
 */
const webAuthn = () => import("@simplewebauthn/server");

const RP_NAME = "PRIS Cyber Santé";
const TAGS = ["second-factor"];

/**
 * Passkeys, TOTP and recovery codes: enrolment, the second step of sign-in, and one's own factors. The
 * routes a pending session may call carry `secondFactor: "pending"`; every other route refuses it.
 */
const secondFactorRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;
  const keys = totpKeys(serviceSecrets(app.config));
  const publicUrl = new URL(app.config.PUBLIC_URL);
  // The relying party is the address people use: "localhost" in development and in the browser tests.
  const rpID = publicUrl.hostname;
  const origin = publicUrl.origin;

  // Guessing a 6-digit code takes a million tries: LOGIN_RATE_LIMIT_MAX (10) per window (5 minutes) and
  // account, from any address and through any replica, make it hopeless.
  const throttle = createThrottle(db, app.config);
  const guess = (request: FastifyRequest) =>
    throttle.start({
      kind: "second_factor",
      subject: `second_factor:${currentSession(request).user.id}`,
      ip: request.ip,
    });

  const pendingOk = { access: PEOPLE, secondFactor: "pending" as const };

  app.get(
    "/auth/second-factor",
    {
      config: pendingOk,
      schema: {
        tags: TAGS,
        operationId: "listMyFactors",
        summary: "My second factors, and whether my role requires one",
        description:
          "The caller's passkeys, whether an authenticator application is set up, how many recovery codes " +
          "remain, and whether the caller's role requires a second factor (and since when).",
        response: { 200: MyFactorsSchema, ...problems(401, 403) },
      },
    },
    async (request) => myFactors(db, request),
  );

  app.post(
    "/auth/second-factor/webauthn/registration/options",
    {
      config: pendingOk,
      schema: {
        tags: TAGS,
        operationId: "passkeyRegistrationOptions",
        summary: "Start adding a passkey: the options for navigator.credentials.create()",
        description:
          "First step of adding a passkey (WebAuthn): the options to pass to " +
          "`navigator.credentials.create()`. The challenge is kept server-side; finish with the " +
          "registration verify operation.",
        response: { 200: WebAuthnOptionsSchema, ...problems(401, 403, 503) },
      },
    },
    async (request) => {
      await guardEnrolment(db, request);
      const { user, key: sessionKey } = currentSession(request);
      const who = await userLabel(db, user.id);
      const existing = await listPasskeys(db, user.id);
      const { generateRegistrationOptions } = await webAuthn();
      const options = await generateRegistrationOptions({
        rpName: RP_NAME,
        rpID,
        userName: who?.email ?? user.id,
        userDisplayName: user.displayName,
        userID: new TextEncoder().encode(user.id),
        attestationType: "none",
        excludeCredentials: existing.map((p) => ({ id: p.id, transports: p.transports as never })),
        authenticatorSelection: { residentKey: "preferred", userVerification: "preferred" },
      });
      await storeChallenge(app, sessionKey, "registration", options.challenge);
      return options;
    },
  );

  app.post(
    "/auth/second-factor/webauthn/registration/verify",
    {
      config: pendingOk,
      schema: {
        tags: TAGS,
        operationId: "passkeyRegistrationVerify",
        summary: "Finish adding a passkey; the session counts it as its second factor",
        description:
          "Second step of adding a passkey: the browser's attestation is checked against the pending " +
          "challenge. On success the passkey is stored and the current session counts as having passed its " +
          "second factor.",
        body: PasskeyRegistrationSchema,
        response: { 200: SessionSchema, ...problems(400, 401, 403, 429, 503) },
      },
    },
    async (request) => {
      await guardEnrolment(db, request);
      const attempt = await guess(request);
      const { user, key: sessionKey } = currentSession(request);
      const expectedChallenge = await takeChallenge(app, sessionKey, "registration");
      if (!expectedChallenge) {
        throw new AppError(400, "challenge_expired", "Bad Request", "Start adding the passkey again");
      }
      const { verifyRegistrationResponse } = await webAuthn();
      let verification: VerifiedRegistrationResponse | undefined;
      try {
        verification = await verifyRegistrationResponse({
          response: request.body.response as unknown as RegistrationResponseJSON,
          expectedChallenge,
          expectedOrigin: origin,
          expectedRPID: rpID,
          requireUserVerification: false,
        });
      } catch {
        verification = undefined;
      }
      const info = verification?.verified ? verification.registrationInfo : undefined;
      if (!info) return refuse(db, request, "webauthn", "The passkey could not be verified");
      if (await findPasskey(db, info.credential.id)) {
        return refuse(db, request, "webauthn", "This passkey is already registered");
      }
      const name = request.body.name ?? "Clé d'accès";
      await insertPasskey(db, {
        id: info.credential.id,
        userId: user.id,
        publicKey: Buffer.from(info.credential.publicKey),
        counter: info.credential.counter,
        transports: info.credential.transports ?? [],
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
        name,
      });
      await auditOwn(db, request, "mfa.enrol", { method: "webauthn", name });
      await attempt.succeeded();
      return completeSecondFactor(app, request, AMR_OF.webauthn);
    },
  );

  app.post(
    "/auth/second-factor/webauthn/authentication/options",
    {
      config: pendingOk,
      schema: {
        tags: TAGS,
        operationId: "passkeyAuthenticationOptions",
        summary: "Start signing with a passkey: the options for navigator.credentials.get()",
        description:
          "First step of proving the second factor with a passkey: the options for " +
          "`navigator.credentials.get()`, listing the caller's passkeys. 404 when the caller has none.",
        response: { 200: WebAuthnOptionsSchema, ...problems(401, 403, 404, 503) },
      },
    },
    async (request) => {
      const { user, key: sessionKey } = currentSession(request);
      const passkeys = await listPasskeys(db, user.id);
      if (passkeys.length === 0) throw new NotFoundError("Passkey");
      const { generateAuthenticationOptions } = await webAuthn();
      const options = await generateAuthenticationOptions({
        rpID,
        allowCredentials: passkeys.map((p) => ({ id: p.id, transports: p.transports as never })),
        userVerification: "preferred",
      });
      await storeChallenge(app, sessionKey, "authentication", options.challenge);
      return options;
    },
  );

  app.post(
    "/auth/second-factor/webauthn/authentication/verify",
    {
      config: pendingOk,
      schema: {
        tags: TAGS,
        operationId: "passkeyAuthenticationVerify",
        summary: "Prove the second factor with a passkey",
        description:
          "Checks the browser's assertion against the pending challenge; on success the session has passed " +
          "its second factor. Failed attempts are throttled (429).",
        body: PasskeyAuthenticationSchema,
        response: { 200: SessionSchema, ...problems(400, 401, 403, 429, 503) },
      },
    },
    async (request) => {
      const attempt = await guess(request);
      const { user, key: sessionKey } = currentSession(request);
      const expectedChallenge = await takeChallenge(app, sessionKey, "authentication");
      if (!expectedChallenge) {
        throw new AppError(400, "challenge_expired", "Bad Request", "Start signing with the passkey again");
      }
      const response = request.body.response as unknown as AuthenticationResponseJSON;
      const passkey = await findPasskey(db, response.id);
      // A passkey of another account is refused exactly like a wrong one.
      if (!passkey || passkey.userId !== user.id) {
        return refuse(db, request, "webauthn", "This passkey is not one of this account's");
      }
      const { verifyAuthenticationResponse } = await webAuthn();
      let verification: VerifiedAuthenticationResponse | undefined;
      try {
        verification = await verifyAuthenticationResponse({
          response,
          expectedChallenge,
          expectedOrigin: origin,
          expectedRPID: rpID,
          credential: {
            id: passkey.id,
            publicKey: new Uint8Array(passkey.publicKey),
            counter: passkey.counter,
            transports: passkey.transports as never,
          },
          requireUserVerification: false,
        });
      } catch {
        verification = undefined;
      }
      if (!verification?.verified)
        return refuse(db, request, "webauthn", "The passkey could not be verified");
      await touchPasskey(db, passkey.id, verification.authenticationInfo.newCounter);
      await attempt.succeeded();
      return completeSecondFactor(app, request, AMR_OF.webauthn);
    },
  );

  app.post(
    "/auth/second-factor/totp/setup",
    {
      config: pendingOk,
      schema: {
        tags: TAGS,
        operationId: "totpSetup",
        summary: "Start using an authenticator application: a new secret and its QR code",
        description:
          "Generates a new TOTP secret and its otpauth QR code for an authenticator application. Nothing " +
          "is in force until the first code is confirmed; 409 (`totp_enrolled`) when one is already set " +
          "up: remove it first.",
        response: { 200: TotpSetupSchema, ...problems(401, 403, 409) },
      },
    },
    async (request) => {
      await guardEnrolment(db, request);
      const { user } = currentSession(request);
      const who = await userLabel(db, user.id);
      const setup = await newTotp(who?.email ?? user.displayName, RP_NAME);
      if (!(await putUnconfirmedTotp(db, user.id, encryptSecret(keys[0]!, setup.secret)))) {
        throw new ConflictError(
          "totp_enrolled",
          "An authenticator application is already set up: remove it first",
        );
      }
      return setup;
    },
  );

  /** The secret, or null when sealed under none of the service's keys (JWT_SECRET changed without rotation). */
  function openTotpSecret(sealed: string) {
    try {
      return decryptSecret(keys, sealed);
    } catch (err) {
      app.log.error({ err }, "a TOTP secret could not be opened");
      return null;
    }
  }

  /** Checks a code against the person's secret and spends its time step; refuses a wrong or replayed one. */
  async function checkTotp(request: Parameters<typeof refuse>[1], code: string, confirmed: boolean) {
    const { user } = currentSession(request);
    const row = await totpOf(db, user.id);
    if (!row || !!row.confirmedAt !== confirmed) {
      throw new NotFoundError(confirmed ? "Authenticator application" : "Authenticator application setup");
    }
    const opened = openTotpSecret(row.secretEncrypted);
    if (!opened)
      throw new AppError(
        409,
        "totp_unreadable",
        "Conflict",
        "The authenticator application must be set up again (the service's key changed): use a recovery code or a passkey, or ask an administrator",
      );
    const { secret, stale } = opened;
    const step = matchingStep(secret, code);
    if (step === null || !(await spendTotpStep(db, user.id, step))) {
      await refuse(db, request, "totp", "Wrong or already used code");
    }
    if (stale) await resealTotp(db, user.id, encryptSecret(keys[0]!, secret));
  }

  app.post(
    "/auth/second-factor/totp/confirm",
    {
      config: pendingOk,
      schema: {
        tags: TAGS,
        operationId: "totpConfirm",
        summary: "Finish setting up the authenticator application with its first code",
        description:
          "Confirms the pending TOTP secret with a first code from the application; it becomes one of the " +
          "caller's second factors and the session counts as having passed it. Wrong codes are throttled " +
          "(429).",
        body: TotpCodeSchema,
        response: { 200: SessionSchema, ...problems(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request) => {
      await guardEnrolment(db, request);
      const attempt = await guess(request);
      await checkTotp(request, request.body.code, false);
      await auditOwn(db, request, "mfa.enrol", { method: "totp" });
      await attempt.succeeded();
      return completeSecondFactor(app, request, AMR_OF.totp);
    },
  );

  app.post(
    "/auth/second-factor/totp/verify",
    {
      config: pendingOk,
      schema: {
        tags: TAGS,
        operationId: "totpVerify",
        summary: "Prove the second factor with a code of the authenticator application",
        description:
          "Proves the second factor for this session with a current code from the authenticator " +
          "application. 404 when none is set up; wrong codes are throttled (429).",
        body: TotpCodeSchema,
        response: { 200: SessionSchema, ...problems(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request) => {
      const attempt = await guess(request);
      await checkTotp(request, request.body.code, true);
      await attempt.succeeded();
      return completeSecondFactor(app, request, AMR_OF.totp);
    },
  );

  app.post(
    "/auth/second-factor/recovery-codes",
    {
      config: { access: PEOPLE },
      schema: {
        tags: TAGS,
        operationId: "generateRecoveryCodes",
        summary: "Ten new recovery codes, shown once; the earlier ones stop working",
        description:
          "Replaces the caller's recovery codes with ten new ones, shown in this answer only: keep them " +
          "somewhere safe. A passkey or an authenticator application must be set up first (409 " +
          "`no_second_factor`).",
        response: { 200: RecoveryCodesSchema, ...problems(401, 403, 409) },
      },
    },
    async (request) => {
      requireRecentCheck(request);
      const { user } = currentSession(request);
      const methods = await enrolledMethods(db, user.id);
      if (!methods.includes("webauthn") && !methods.includes("totp")) {
        throw new ConflictError("no_second_factor", "Add a passkey or an authenticator application first");
      }
      const codes = newRecoveryCodes();
      await replaceRecoveryCodes(db, user.id, codes.map(recoveryCodeDigest));
      await auditOwn(db, request, "mfa.recovery_codes", { count: codes.length });
      return { codes };
    },
  );

  app.post(
    "/auth/second-factor/recovery-codes/verify",
    {
      config: pendingOk,
      schema: {
        tags: TAGS,
        operationId: "verifyRecoveryCode",
        summary: "Prove the second factor with a recovery code (each works once)",
        description:
          "Proves the second factor for this session with one of the caller's recovery codes; a code works " +
          "once. Wrong codes are throttled (429).",
        body: RecoveryCodeSchema,
        response: { 200: SessionSchema, ...problems(400, 401, 403, 429) },
      },
    },
    async (request) => {
      const attempt = await guess(request);
      const { user } = currentSession(request);
      if (!(await spendRecoveryCode(db, user.id, recoveryCodeDigest(request.body.code)))) {
        await refuse(db, request, "recovery", "Wrong or already used recovery code");
      }
      await attempt.succeeded();
      return completeSecondFactor(app, request, AMR_OF.recovery);
    },
  );

  app.delete(
    "/auth/second-factor/passkeys/:id",
    {
      config: { access: PEOPLE },
      schema: {
        tags: TAGS,
        operationId: "removePasskey",
        summary: "Remove one of my passkeys (a second factor checked in the last 10 minutes)",
        description:
          "Deletes one of the caller's passkeys. The session must have checked a second factor in the last " +
          "ten minutes (403 otherwise), so that a stolen session cannot strip the account's protection.",
        params: PasskeyParamsSchema,
        response: { 204: Type.Null(), ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      requireRecentCheck(request);
      const { user } = currentSession(request);
      if (!(await deletePasskey(db, user.id, request.params.id))) throw new NotFoundError("Passkey");
      await dropRecoveryCodesWithoutFactor(db, user.id);
      await auditOwn(db, request, "mfa.remove", { method: "webauthn" });
      return reply.code(204).send(null);
    },
  );

  app.delete(
    "/auth/second-factor/totp",
    {
      config: { access: PEOPLE },
      schema: {
        tags: TAGS,
        operationId: "removeTotp",
        summary: "Remove my authenticator application (a second factor checked in the last 10 minutes)",
        description:
          "Removes the caller's authenticator application. The session must have checked a second factor " +
          "in the last ten minutes (403 otherwise).",
        response: { 204: Type.Null(), ...problems(401, 403, 404) },
      },
    },
    async (request, reply) => {
      requireRecentCheck(request);
      const { user } = currentSession(request);
      if (!(await deleteTotp(db, user.id))) throw new NotFoundError("Authenticator application");
      await dropRecoveryCodesWithoutFactor(db, user.id);
      await auditOwn(db, request, "mfa.remove", { method: "totp" });
      return reply.code(204).send(null);
    },
  );
};

export default secondFactorRoutes;
