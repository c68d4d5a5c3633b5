import type { MyFactors, SecondFactorChallenge, SecondFactorMethod, Session } from "@pris/domain";
import {
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
  startRegistration,
} from "@simplewebauthn/browser";
import { ApiError, api, NetworkError } from "../../api/client.ts";

export type { MyFactors, SecondFactorChallenge, SecondFactorMethod, Session };

const BASE = "/auth/second-factor";

/** Creates a passkey on this device (or a security key) and registers it; the session counts it as its factor. */
export async function registerPasskey(name?: string): Promise<Session> {
  const optionsJSON = await api.post<PublicKeyCredentialCreationOptionsJSON>(
    `${BASE}/webauthn/registration/options`,
  );
  const response = await startRegistration({ optionsJSON });
  return api.post<Session>(`${BASE}/webauthn/registration/verify`, { response, ...(name ? { name } : {}) });
}

export async function signWithPasskey(): Promise<Session> {
  const optionsJSON = await api.post<PublicKeyCredentialRequestOptionsJSON>(
    `${BASE}/webauthn/authentication/options`,
  );
  const response = await startAuthentication({ optionsJSON });
  return api.post<Session>(`${BASE}/webauthn/authentication/verify`, { response });
}

export const verifyTotp = (code: string) => api.post<Session>(`${BASE}/totp/verify`, { code });
export const verifyRecoveryCode = (code: string) =>
  api.post<Session>(`${BASE}/recovery-codes/verify`, { code });
export const setupTotp = () => api.post<{ secret: string; uri: string; qrSvg: string }>(`${BASE}/totp/setup`);
export const confirmTotp = (code: string) => api.post<Session>(`${BASE}/totp/confirm`, { code });
export const generateRecoveryCodes = () => api.post<{ codes: string[] }>(`${BASE}/recovery-codes`);

export const isChallenge = (answer: unknown): answer is SecondFactorChallenge =>
  typeof answer === "object" && answer !== null && "secondFactor" in answer;

/** What went wrong, for the person. */
export function factorErrorMessage(err: unknown, method?: SecondFactorMethod): string {
  if (err instanceof NetworkError) return "Le service est injoignable. Vérifiez votre réseau et réessayez.";
  if (err instanceof ApiError) {
    if (err.status === 401 && err.problem.code === "second_factor_invalid") {
      if (method === "webauthn") return "Cette clé d'accès n'a pas pu être vérifiée pour ce compte.";
      if (method === "recovery") return "Code de secours incorrect ou déjà utilisé.";
      return "Code incorrect ou déjà utilisé. Attendez le code suivant et réessayez.";
    }
    if (err.status === 401) return "Votre connexion a expiré. Reconnectez-vous.";
    if (err.status === 429) return "Trop d'essais. Patientez quelques minutes avant de réessayer.";
    if (err.status === 400 && err.problem.code === "challenge_expired")
      return "La demande a expiré. Recommencez.";
    if (err.status === 400) return "Vérifiez le code saisi : 6 chiffres pour l'application.";
    if (err.status === 503) return "Les clés d'accès sont indisponibles pour le moment : utilisez un code.";
    if (err.status === 403) return "Confirmez d'abord votre identité avec votre second facteur.";
    if (err.status === 409) return "Une application d'authentification est déjà enregistrée.";
  }
  if (err instanceof Error && (err.name === "NotAllowedError" || err.name === "AbortError"))
    return "L'opération a été annulée ou le délai est dépassé. Réessayez.";
  if (err instanceof Error && err.name === "InvalidStateError")
    return "Cette clé d'accès est déjà enregistrée pour ce compte.";
  return "L'opération a échoué. Réessayez dans un instant.";
}
