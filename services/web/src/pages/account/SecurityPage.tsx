import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import type { SecondFactorMethod } from "@pris/domain";
import { useState } from "react";
import { api } from "../../api/client.ts";
import { usePageTitle } from "../../components/Layout.tsx";
import { LoadError } from "../../components/LoadError.tsx";
import { EnrolFactor } from "../../components/second-factor/EnrolFactor.tsx";
import { RecoveryCodesShown } from "../../components/second-factor/RecoveryCodesShown.tsx";
import { SecondFactorStep } from "../../components/second-factor/SecondFactorStep.tsx";
import { generateRecoveryCodes } from "../../components/second-factor/second-factor-api.ts";
import { formatShort } from "../../lib/zoned-time.ts";
import { useApp } from "../../session.tsx";
import { useMyFactors } from "./use-my-factors.ts";

/** "Sécurité du compte": one's passkeys, authenticator application and recovery codes. */
export function SecurityPage() {
  usePageTitle("Sécurité du compte");
  const { config, signedIn } = useApp();
  const factors = useMyFactors();
  const [adding, setAdding] = useState(false);
  const [codes, setCodes] = useState<string[] | null>(null);

  if (factors.state.status === "loading") return <p className="fr-container fr-my-6w">Chargement…</p>;
  if (factors.state.status === "error")
    return (
      <div className="fr-container fr-my-6w">
        <LoadError title="Sécurité du compte" message={factors.state.message} retry={factors.reload} />
      </div>
    );
  const f = factors.state.data;
  const methods: SecondFactorMethod[] = [
    ...(f.passkeys.length > 0 ? (["webauthn"] as const) : []),
    ...(f.totp.enrolled ? (["totp"] as const) : []),
    ...(f.recoveryCodes.remaining > 0 ? (["recovery"] as const) : []),
  ];
  const enrolled = f.passkeys.length > 0 || f.totp.enrolled;
  const at = (iso: string) => formatShort(iso, config.timeZone);

  return (
    <div className="fr-container fr-my-6w pris-narrow">
      <h1 className="fr-h2">Sécurité du compte</h1>
      <p>
        {f.required
          ? "Votre rôle impose une double authentification : un mot de passe seul ne suffit pas pour vous connecter."
          : f.requiredFrom
            ? `La double authentification sera obligatoire pour votre rôle à partir du ${at(f.requiredFrom)}.`
            : "La double authentification est recommandée : elle protège votre compte si votre mot de passe est dérobé."}
      </p>
      {factors.message && (
        <Alert
          severity={factors.message.kind}
          small
          description={factors.message.text}
          className="fr-mb-3w"
          role={factors.message.kind === "error" ? "alert" : "status"}
        />
      )}
      {factors.recheck && (
        <div className="fr-mb-4w">
          <SecondFactorStep
            methods={methods}
            title="Confirmez votre identité"
            onDone={(session) => void factors.rechecked(session)}
          />
          <Button priority="tertiary no outline" onClick={factors.cancelRecheck}>
            Annuler
          </Button>
        </div>
      )}
      {codes && <RecoveryCodesShown codes={codes} onDone={() => setCodes(null)} />}

      <h2 className="fr-h4 fr-mt-4w">Clés d'accès</h2>
      {f.passkeys.length === 0 ? (
        <p>Aucune clé d'accès enregistrée.</p>
      ) : (
        <ul>
          {f.passkeys.map((p) => (
            <li key={p.id} className="fr-mb-1w">
              <strong>{p.name}</strong> — ajoutée le {at(p.createdAt)}
              {p.lastUsedAt ? `, utilisée le ${at(p.lastUsedAt)}` : ""}{" "}
              <Button
                size="small"
                priority="tertiary"
                onClick={() =>
                  void factors.attempt(
                    () => api.delete(`/auth/second-factor/passkeys/${encodeURIComponent(p.id)}`),
                    `La clé « ${p.name} » a été retirée.`,
                  )
                }
              >
                Retirer
              </Button>
            </li>
          ))}
        </ul>
      )}

      <h2 className="fr-h4 fr-mt-4w">Application d'authentification</h2>
      {f.totp.enrolled ? (
        <p>
          Enregistrée le {f.totp.confirmedAt ? at(f.totp.confirmedAt) : "—"}.{" "}
          <Button
            size="small"
            priority="tertiary"
            onClick={() =>
              void factors.attempt(
                () => api.delete("/auth/second-factor/totp"),
                "L'application d'authentification a été retirée.",
              )
            }
          >
            Retirer
          </Button>
        </p>
      ) : (
        <p>Aucune application enregistrée.</p>
      )}

      <h2 className="fr-h4 fr-mt-4w">Codes de secours</h2>
      <p>
        {f.recoveryCodes.remaining.toLocaleString("fr-FR")} code(s) inutilisé(s)
        {f.recoveryCodes.generatedAt ? ` — générés le ${at(f.recoveryCodes.generatedAt)}` : ""}.
      </p>
      {enrolled && (
        <Button
          priority="secondary"
          onClick={() =>
            void factors.attempt(async () => {
              setCodes((await generateRecoveryCodes()).codes);
            }, "Nouveaux codes générés : les anciens ne fonctionnent plus.")
          }
        >
          Générer de nouveaux codes
        </Button>
      )}

      <div className="fr-mt-6w">
        {adding ? (
          <EnrolFactor
            withRecoveryCodes={!enrolled}
            onSkip={() => setAdding(false)}
            skipLabel="Annuler"
            onDone={(session) => {
              signedIn(session);
              setAdding(false);
              factors.setMessage({ kind: "success", text: "Second facteur enregistré." });
              factors.reload();
            }}
          />
        ) : (
          <Button
            iconId="fr-icon-add-line"
            onClick={() =>
              // Adding a factor to an account that has one needs that one first.
              enrolled ? factors.confirmThen(async () => setAdding(true)) : setAdding(true)
            }
          >
            Ajouter un second facteur
          </Button>
        )}
      </div>
    </div>
  );
}
