import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Checkbox } from "@codegouvfr/react-dsfr/Checkbox";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { RadioButtons } from "@codegouvfr/react-dsfr/RadioButtons";
import { Select } from "@codegouvfr/react-dsfr/Select";
import {
  AFFECTED_SERVICE_LABELS,
  AFFECTED_SERVICES,
  type AffectedService,
  DECLARATION_CHANNEL_LABELS,
  IMPACT_GRADE_LABELS,
  IMPACT_GRADES,
  type Incident,
  type Me,
  RSIT_CLASSES,
  SPREAD_LABELS,
  SPREADS,
  TLP_DESCRIPTIONS,
  TLP_LABELS,
} from "@pris/domain";
import { type FormEvent, type ReactNode, useCallback, useEffect, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { ApiError, api, describeError, NetworkError } from "../api/client.ts";
import { usePageTitle } from "../components/Layout.tsx";
import { LoginForm } from "../components/LoginForm.tsx";
import { clearDraft, loadDraft, newIdempotencyKey, saveDraft } from "../declaration/draft.ts";
import {
  type DeclarationForm,
  type FieldKey,
  type FormErrors,
  fieldsInOrder,
  initialForm,
  isPristine,
  mapServerErrors,
  toDeclaration,
  typesOf,
  validateForm,
} from "../declaration/form.ts";
import { ObservablesEditor } from "../declaration/ObservablesEditor.tsx";
import { SeverityPreview } from "../declaration/SeverityPreview.tsx";
import { formatShort, toZonedInputValue } from "../lib/zoned-time.ts";
import { useApp, useMe } from "../session.tsx";

type Submission =
  | { phase: "idle" }
  | { phase: "sending" }
  /** No answer: the draft is safe on the device, the same key will be sent again. */
  | { phase: "offline" }
  /** 409: the same key is still being processed (a previous attempt got through). */
  | { phase: "busy" }
  | { phase: "login" }
  /** 422 without field errors: the key was used before with another body. */
  | { phase: "conflict" }
  | { phase: "failed"; message: string };

const YES_NO_UNKNOWN = [
  { value: "yes", label: "Oui" },
  { value: "no", label: "Non" },
  { value: "unknown", label: "Je ne sais pas" },
] as const;
const YES_NO = [
  { value: "yes", label: "Oui" },
  { value: "no", label: "Non" },
] as const;

/** Marks a required field the DSFR way: an asterisk explained at the top of the form. */
function req(label: ReactNode): ReactNode {
  return (
    <>
      {label} <span className="pris-required">*</span>
    </>
  );
}

const UNKNOWN_CHOICE = "__unknown";
const OTHER_CHOICE = "__other";
const BUSY_RETRY_MS = 2_000;
const BUSY_MAX_RETRIES = 5;

function rsitChoiceOf(form: DeclarationForm): string {
  if (form.rsitClass === "other") {
    if (form.rsitType === "undetermined") return UNKNOWN_CHOICE;
    if (form.rsitType === "other") return OTHER_CHOICE;
  }
  return form.rsitClass;
}

function focusField(key: FieldKey) {
  const el = document.getElementById(`field-${key}`);
  if (!el) return;
  const target =
    el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement
      ? el
      : (el.querySelector<HTMLElement>("input:checked, input, select, textarea") ?? el);
  target.scrollIntoView({ block: "center" });
  target.focus({ preventScroll: true });
}

export function DeclarePage() {
  usePageTitle("Déclarer un incident");
  const me = useMe();
  if (me.role === "analyst") return <DeclareForEstablishment />;
  if (me.establishments.length === 0) {
    return (
      <div className="fr-container fr-my-6w">
        <h1>Déclarer un incident</h1>
        <Alert
          severity="info"
          title="Votre compte n'est rattaché à aucun établissement"
          description="Seuls les comptes d'établissement (RSSI) et les analystes du pôle peuvent déclarer un incident ici. Contactez l'administrateur de la plateforme si c'est une erreur."
        />
      </div>
    );
  }
  return <DeclarationFormPage me={me} />;
}

type Directory = { status: "loading" } | { status: "ready"; me: Me } | { status: "error"; message: string };

/**
 * An analyst declares on behalf of an establishment (its RSSI called the pole): the same form, with
 * every establishment of the region to choose from.
 */
function DeclareForEstablishment() {
  const me = useMe();
  const [directory, setDirectory] = useState<Directory>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: attempt re-runs the read on demand
  useEffect(() => {
    const controller = new AbortController();
    setDirectory({ status: "loading" });
    (async () => {
      const all: Me["establishments"] = [];
      let cursor: string | null = null;
      do {
        const sp = new URLSearchParams({ limit: "100" });
        if (cursor) sp.set("cursor", cursor);
        const page: { items: Me["establishments"]; nextCursor: string | null } = await api.get(
          `/establishments?${sp}`,
          { signal: controller.signal },
        );
        all.push(
          ...page.items.map((e) => ({ id: e.id, finess: e.finess, name: e.name, category: e.category })),
        );
        cursor = page.nextCursor;
      } while (cursor && all.length < 5000);
      all.sort((a, b) => a.name.localeCompare(b.name, "fr"));
      setDirectory({ status: "ready", me: { ...me, establishments: all } });
    })().catch((err: unknown) => {
      if (!controller.signal.aborted) setDirectory({ status: "error", message: describeError(err) });
    });
    return () => controller.abort();
  }, [me, attempt]);

  if (directory.status === "loading")
    return <p className="fr-container fr-my-6w">Chargement des établissements…</p>;
  if (directory.status === "error") {
    return (
      <div className="fr-container fr-my-6w pris-narrow">
        <Alert
          severity="error"
          title="Établissements indisponibles"
          description={directory.message}
          className="fr-mb-3w"
        />
        <Button iconId="fr-icon-refresh-line" onClick={() => setAttempt((n) => n + 1)}>
          Réessayer
        </Button>
      </div>
    );
  }
  return <DeclarationFormPage me={directory.me} />;
}

function DeclarationFormPage({ me }: { me: Me }) {
  const { config, signedIn, reloadSession } = useApp();
  const tz = config.timeZone;
  const navigate = useNavigate();

  const [initial] = useState(() => initialForm(me, tz, new Date()));
  const [restored] = useState(() => loadDraft(me.id));
  const [form, setForm] = useState<DeclarationForm>(() =>
    restored ? { ...initial, ...restored.form } : initial,
  );
  const [idempotencyKey, setIdempotencyKey] = useState(() => restored?.idempotencyKey ?? newIdempotencyKey());
  const [dirty, setDirty] = useState(restored !== null);
  const [showRestored, setShowRestored] = useState(restored !== null);
  const [confirmClear, setConfirmClear] = useState(false);
  const [storageFailed, setStorageFailed] = useState(false);
  const [errors, setErrors] = useState<FormErrors>({});
  const [unplaced, setUnplaced] = useState<string[]>([]);
  const [attempted, setAttempted] = useState(false);
  const [submission, setSubmission] = useState<Submission>({ phase: "idle" });
  const [focusRequest, setFocusRequest] = useState(0);

  // The retry paths (timer, back online, after login) need the latest values, not a render's.
  const formRef = useRef(form);
  formRef.current = form;
  const keyRef = useRef(idempotencyKey);
  keyRef.current = idempotencyKey;
  const busyRetries = useRef(0);
  const busyTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(busyTimer.current), []);
  const statusRef = useRef<HTMLDivElement>(null);
  const summaryRef = useRef<HTMLDivElement>(null);

  // Autosave: every change, with its key, as soon as the form is no longer the untouched one.
  useEffect(() => {
    if (!dirty) return;
    if (isPristine(form, initial) && !restored) return;
    setStorageFailed(!saveDraft(me.id, { idempotencyKey, form }));
  }, [form, idempotencyKey, dirty, initial, restored, me.id]);

  // After a failed submit, move to the first field in error, in screen order.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs once per submit attempt
  useEffect(() => {
    if (focusRequest === 0) return;
    const first = fieldsInOrder(formRef.current).find((k) => errors[k]);
    if (first) focusField(first);
    else summaryRef.current?.focus();
  }, [focusRequest]);

  const update = useCallback(<K extends keyof DeclarationForm>(key: K, value: DeclarationForm[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setDirty(true);
    setErrors((e) => {
      if (!(key in e)) return e;
      const { [key as FieldKey]: _, ...rest } = e;
      return rest;
    });
  }, []);

  const send = useCallback(async () => {
    const current = formRef.current;
    const now = new Date();
    const clientErrors = validateForm(current, me, tz, now);
    setAttempted(true);
    if (Object.keys(clientErrors).length > 0) {
      setErrors(clientErrors);
      setUnplaced([]);
      setSubmission({ phase: "idle" });
      setFocusRequest((n) => n + 1);
      return;
    }
    setErrors({});
    setUnplaced([]);
    const { body, observableKeys } = toDeclaration(current, me, tz);
    setSubmission({ phase: "sending" });
    try {
      const incident = await api.post<Incident>("/incidents", body, {
        headers: { "Idempotency-Key": keyRef.current },
        timeoutMs: 30_000,
      });
      busyRetries.current = 0;
      clearDraft(me.id);
      navigate(
        me.role === "analyst" ? `/incidents/${incident.id}` : `/incidents/${incident.id}/confirmation`,
        {
          state: { incident },
        },
      );
    } catch (err) {
      if (err instanceof NetworkError) {
        setSubmission({ phase: "offline" });
        requestAnimationFrame(() => statusRef.current?.focus());
        return;
      }
      if (!(err instanceof ApiError)) {
        setSubmission({ phase: "failed", message: "Une erreur inattendue s'est produite. Réessayez." });
        return;
      }
      const { status, problem } = err;
      if (status === 401) {
        setSubmission({ phase: "login" });
        return;
      }
      if (status === 403 && /csrf/i.test(problem.code)) {
        // The in-memory CSRF token is stale (another tab logged in again): fetch it and resend once.
        await reloadSession();
        setSubmission({ phase: "idle" });
        void sendRef.current?.();
        return;
      }
      if (status === 409) {
        if (busyRetries.current < BUSY_MAX_RETRIES) {
          busyRetries.current += 1;
          setSubmission({ phase: "busy" });
          busyTimer.current = setTimeout(() => void sendRef.current?.(), BUSY_RETRY_MS);
        } else {
          busyRetries.current = 0;
          setSubmission({ phase: "offline" });
        }
        return;
      }
      if ((status === 400 || status === 422) && problem.errors && problem.errors.length > 0) {
        // Refused and not stored: a corrected declaration is a new request with a new key.
        setIdempotencyKey(newIdempotencyKey());
        const mapped = mapServerErrors(problem.errors, current, observableKeys);
        setErrors(mapped.fields);
        setUnplaced(mapped.unplaced);
        setSubmission({ phase: "idle" });
        setFocusRequest((n) => n + 1);
        return;
      }
      if (status === 422) {
        setSubmission({ phase: "conflict" });
        return;
      }
      if (status === 413) {
        setIdempotencyKey(newIdempotencyKey());
        setSubmission({
          phase: "failed",
          message:
            "La déclaration est trop volumineuse. Raccourcissez la description ou retirez des indicateurs, puis renvoyez.",
        });
        return;
      }
      if (status === 403 || status === 404) {
        setSubmission({
          phase: "failed",
          message:
            "Vous ne pouvez pas déclarer pour cet établissement avec ce compte. Vérifiez l'établissement choisi ou contactez le pôle régional.",
        });
        return;
      }
      if (status === 429) {
        setSubmission({
          phase: "failed",
          message: "Le service reçoit trop de demandes. Patientez quelques secondes puis réessayez.",
        });
        return;
      }
      const ref = problem.requestId ? ` Référence technique : ${problem.requestId}.` : "";
      setSubmission({
        phase: "failed",
        message: `Le service n'a pas pu enregistrer la déclaration. Votre déclaration est conservée sur cet appareil : réessayez dans un instant.${ref}`,
      });
    }
  }, [me, tz, navigate, reloadSession]);
  const sendRef = useRef<typeof send | null>(null);
  sendRef.current = send;

  // Back online after a lost connection: send again, with the same key.
  useEffect(() => {
    if (submission.phase !== "offline") return;
    const onOnline = () => void sendRef.current?.();
    window.addEventListener("online", onOnline);
    return () => window.removeEventListener("online", onOnline);
  }, [submission.phase]);

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    if (submission.phase === "sending" || submission.phase === "busy") return;
    busyRetries.current = 0;
    void send();
  }

  function eraseDraft() {
    clearDraft(me.id);
    const fresh = initialForm(me, tz, new Date());
    setForm(fresh);
    setIdempotencyKey(newIdempotencyKey());
    setDirty(false);
    setShowRestored(false);
    setConfirmClear(false);
    setErrors({});
    setUnplaced([]);
    setAttempted(false);
    setSubmission({ phase: "idle" });
    window.scrollTo(0, 0);
  }

  const err = (k: FieldKey) =>
    errors[k] ? { state: "error" as const, stateRelatedMessage: errors[k] } : { state: "default" as const };
  const invalid = (k: FieldKey) => (errors[k] ? { "aria-invalid": true as const } : {});
  const text = (k: Exclude<FieldKey, `observables.${string}`>) => ({
    id: `field-${k}`,
    name: k,
    value: form[k] as string,
    onChange: (e: { target: { value: string } }) => update(k, e.target.value as never),
    ...invalid(k),
  });
  const radios = <V extends string>(
    k: Exclude<FieldKey, `observables.${string}`>,
    choices: readonly { value: V; label: ReactNode; hintText?: ReactNode }[],
  ) =>
    choices.map((c) => ({
      label: c.label,
      hintText: c.hintText,
      nativeInputProps: {
        value: c.value,
        checked: form[k] === c.value,
        onChange: () => update(k, c.value as never),
      },
    }));

  const fieldsInError = fieldsInOrder(form).filter((k) => errors[k]);
  const errorCount = fieldsInError.length + unplaced.length;
  const sending = submission.phase === "sending" || submission.phase === "busy";
  const forEstablishment = me.role === "analyst";
  const multipleEstablishments = me.establishments.length > 1 || forEstablishment;
  const rsitChoice = rsitChoiceOf(form);
  const rsitTypes = form.rsitClass && form.rsitClass !== "other" ? typesOf(form.rsitClass) : [];
  const nowInZone = toZonedInputValue(new Date(), tz);
  const hasDraft = dirty && !isPristine(form, initial);

  return (
    <div className="fr-container fr-my-4w pris-narrow">
      <h1 className="fr-h2">Déclarer un incident</h1>
      <p className="fr-text--lg">
        Le pôle régional cyber est alerté dès l'envoi. Seuls les champs marqués d'un astérisque (
        <span className="pris-required">*</span>) sont obligatoires&nbsp;: envoyez vite, vous compléterez
        ensuite avec le pôle.
      </p>

      {showRestored && restored && (
        <div className="fr-mb-3w">
          <Alert
            severity="info"
            title="Brouillon restauré"
            description={`Votre déclaration en cours, enregistrée sur cet appareil le ${formatShort(restored.savedAt, tz)}, a été rechargée. Vérifiez-la puis envoyez-la.`}
            closable
            onClose={() => setShowRestored(false)}
          />
        </div>
      )}
      {storageFailed && (
        <div className="fr-mb-3w">
          <Alert
            severity="warning"
            small
            description="Ce navigateur refuse d'enregistrer le brouillon (navigation privée ou mémoire pleine) : ne fermez pas cette page avant l'envoi."
          />
        </div>
      )}

      {errorCount > 0 && (
        <div className="fr-mb-3w" ref={summaryRef} tabIndex={-1}>
          <Alert
            severity="error"
            title={
              errorCount === 1
                ? "Un point à corriger avant l'envoi"
                : `${errorCount} points à corriger avant l'envoi`
            }
            description={
              <ul>
                {fieldsInError.map((k) => (
                  <li key={k}>
                    <a
                      href={`#field-${k}`}
                      onClick={(e) => {
                        e.preventDefault();
                        focusField(k);
                      }}
                    >
                      {errors[k]}
                    </a>
                  </li>
                ))}
                {unplaced.map((m) => (
                  <li key={m}>{m}</li>
                ))}
              </ul>
            }
          />
        </div>
      )}

      <form onSubmit={onSubmit} noValidate aria-label="Déclaration d'incident">
        <fieldset className="pris-section" aria-labelledby="section-contact">
          <h2 id="section-contact" className="fr-h4">
            1. Qui joindre pendant la crise&nbsp;?
          </h2>
          {multipleEstablishments ? (
            <Select
              label={req("Établissement touché")}
              hint={
                forEstablishment
                  ? "L'établissement pour lequel vous déclarez (son RSSI vous a joint)."
                  : "Votre compte couvre plusieurs établissements."
              }
              {...err("establishmentId")}
              nativeSelectProps={{
                ...text("establishmentId"),
                onChange: (e) => update("establishmentId", e.target.value),
              }}
            >
              <option value="" disabled>
                Choisir l'établissement
              </option>
              {me.establishments.map((x) => (
                <option key={x.id} value={x.id}>
                  {x.name} (FINESS {x.finess})
                </option>
              ))}
            </Select>
          ) : (
            <p>
              Établissement&nbsp;: <strong>{me.establishments[0]?.name}</strong>{" "}
              <span className="pris-muted">(FINESS {me.establishments[0]?.finess})</span>
            </p>
          )}
          {forEstablishment && (
            <RadioButtons
              id="field-channel"
              name="channel"
              legend={req("Canal")}
              hintText="Comment l'établissement a joint le pôle."
              orientation="horizontal"
              {...err("channel")}
              options={(["phone", "email"] as const).map((c) => ({
                label: DECLARATION_CHANNEL_LABELS[c],
                nativeInputProps: {
                  value: c,
                  checked: (form.channel || "phone") === c,
                  onChange: () => update("channel", c),
                },
              }))}
            />
          )}
          <Input
            label={req("Nom et prénom")}
            {...err("declarantName")}
            nativeInputProps={{ ...text("declarantName"), autoComplete: "name", "aria-required": true }}
          />
          <Input
            label="Fonction"
            hintText="Par exemple : RSSI, DSI, cadre de garde, directeur de garde"
            {...err("declarantFunction")}
            nativeInputProps={{ ...text("declarantFunction"), autoComplete: "organization-title" }}
          />
          <Input
            label={req("Téléphone joignable pendant la crise")}
            hintText="Un portable de préférence : le standard et la messagerie peuvent être coupés. Exemple : 0692 12 34 56"
            {...err("declarantPhone")}
            nativeInputProps={{
              ...text("declarantPhone"),
              type: "tel",
              inputMode: "tel",
              autoComplete: "tel",
              "aria-required": true,
            }}
          />
          <Input
            label="Adresse électronique de secours"
            hintText="Une adresse qui fonctionne même si la messagerie de l'établissement est coupée. Format attendu : nom@domaine.fr"
            {...err("declarantEmail")}
            nativeInputProps={{
              ...text("declarantEmail"),
              type: "email",
              inputMode: "email",
              autoComplete: "email",
              autoCapitalize: "none",
              spellCheck: false,
            }}
          />
        </fieldset>

        <fieldset className="pris-section" aria-labelledby="section-incident">
          <h2 id="section-incident" className="fr-h4">
            2. Que se passe-t-il&nbsp;?
          </h2>
          <Input
            label={req("Titre")}
            hintText="En quelques mots. Exemple : Rançongiciel sur les serveurs du DPI"
            {...err("title")}
            nativeInputProps={{ ...text("title"), maxLength: 200, "aria-required": true }}
          />
          <RadioButtons
            id="field-rsitClass"
            name="rsitClass"
            legend={req("Ce qui ressemble le plus à la situation")}
            hintText="Vous pourrez préciser plus tard avec le pôle."
            {...err("rsitClass")}
            options={[
              {
                label: "Je ne sais pas encore",
                hintText: "Le pôle qualifiera l'incident avec vous",
                nativeInputProps: {
                  value: UNKNOWN_CHOICE,
                  checked: rsitChoice === UNKNOWN_CHOICE,
                  onChange: () => {
                    update("rsitClass", "other");
                    update("rsitType", "undetermined");
                  },
                },
              },
              ...RSIT_CLASSES.filter((c) => c.value !== "other" && c.value !== "test").map((c) => ({
                label: c.plain,
                hintText: `Catégorie : ${c.label}`,
                nativeInputProps: {
                  value: c.value,
                  checked: rsitChoice === c.value,
                  onChange: () => {
                    const types: readonly { value: string }[] = c.types;
                    update("rsitClass", c.value);
                    const keep = types.some((t) => t.value === formRef.current.rsitType);
                    update(
                      "rsitType",
                      types.length === 1 ? (types[0]?.value ?? "") : keep ? formRef.current.rsitType : "",
                    );
                  },
                },
              })),
              {
                label: "Autre chose",
                hintText: "Un incident qui n'entre dans aucune de ces catégories",
                nativeInputProps: {
                  value: OTHER_CHOICE,
                  checked: rsitChoice === OTHER_CHOICE,
                  onChange: () => {
                    update("rsitClass", "other");
                    update("rsitType", "other");
                  },
                },
              },
              {
                label: "Un signalement de test",
                hintText: "Exercice ou essai du service",
                nativeInputProps: {
                  value: "test",
                  checked: rsitChoice === "test",
                  onChange: () => {
                    update("rsitClass", "test");
                    update("rsitType", "test");
                  },
                },
              },
            ]}
          />
          {rsitTypes.length > 1 && (
            <RadioButtons
              id="field-rsitType"
              name="rsitType"
              legend={req("Plus précisément")}
              {...err("rsitType")}
              options={rsitTypes.map((t) => ({
                label: t.plain,
                hintText: `Type : ${t.label}`,
                nativeInputProps: {
                  value: t.value,
                  checked: form.rsitType === t.value,
                  onChange: () => update("rsitType", t.value),
                },
              }))}
            />
          )}
          <Input
            textArea
            label={req("Description")}
            hintText="Ce que vous constatez, ce qui ne fonctionne plus, comment vous l'avez découvert."
            {...err("description")}
            nativeTextAreaProps={{ ...text("description"), rows: 5, "aria-required": true }}
          />
          <Input
            label={req("Constaté le")}
            hintText={`Heure de ${config.regionName}. Par défaut : maintenant.`}
            {...err("detectedAt")}
            nativeInputProps={{
              ...text("detectedAt"),
              type: "datetime-local",
              max: nowInZone,
              "aria-required": true,
            }}
          />
          <Input
            label="Début de l'incident, s'il est connu"
            hintText={`Heure de ${config.regionName}.`}
            {...err("startedAt")}
            nativeInputProps={{
              ...text("startedAt"),
              type: "datetime-local",
              max: form.detectedAt || nowInZone,
            }}
          />
          <RadioButtons
            id="field-ongoing"
            name="ongoing"
            legend={req("L'incident est-il toujours en cours ?")}
            orientation="horizontal"
            {...err("ongoing")}
            options={radios("ongoing", YES_NO)}
          />
          <RadioButtons
            id="field-suspectedMalicious"
            name="suspectedMalicious"
            legend="Pensez-vous à un acte malveillant ?"
            orientation="horizontal"
            {...err("suspectedMalicious")}
            options={radios("suspectedMalicious", YES_NO_UNKNOWN)}
          />
        </fieldset>

        <fieldset className="pris-section" aria-labelledby="section-impact">
          <h2 id="section-impact" className="fr-h4">
            3. Quelles conséquences&nbsp;?
          </h2>
          <RadioButtons
            id="field-impactGrade"
            name="impactGrade"
            legend={req("Impact sur la prise en charge des patients")}
            hintText="Choisissez le niveau le plus élevé qui s'applique."
            {...err("impactGrade")}
            options={radios(
              "impactGrade",
              IMPACT_GRADES.map((g) => ({
                value: String(g) as DeclarationForm["impactGrade"],
                label: (
                  <span>
                    <strong>Niveau {g}</strong> — {IMPACT_GRADE_LABELS[g].short}
                  </span>
                ),
                hintText: IMPACT_GRADE_LABELS[g].plain,
              })),
            )}
          />
          <Checkbox
            id="field-affectedServices"
            legend="Services informatiques touchés"
            hintText="Cochez tout ce qui ne fonctionne plus ou est compromis."
            {...err("affectedServices")}
            options={AFFECTED_SERVICES.map((s) => ({
              label: AFFECTED_SERVICE_LABELS[s],
              nativeInputProps: {
                name: "affectedServices",
                value: s,
                checked: form.affectedServices.includes(s),
                onChange: (e) => {
                  const on = e.target.checked;
                  const next: AffectedService[] = on
                    ? AFFECTED_SERVICES.filter((x) => x === s || formRef.current.affectedServices.includes(x))
                    : formRef.current.affectedServices.filter((x) => x !== s);
                  update("affectedServices", next);
                },
              },
            }))}
          />
          {form.affectedServices.includes("other") && (
            <Input
              label="Autres services touchés"
              {...err("affectedServicesOther")}
              nativeInputProps={{ ...text("affectedServicesOther"), maxLength: 500 }}
            />
          )}
          <RadioButtons
            id="field-spread"
            name="spread"
            legend="Étendue"
            {...err("spread")}
            options={radios(
              "spread",
              SPREADS.map((s) => ({ value: s, label: SPREAD_LABELS[s] })),
            )}
          />
          <RadioButtons
            id="field-personalDataBreach"
            name="personalDataBreach"
            legend="Des données personnelles (patients, personnels) ont-elles pu être consultées, copiées, perdues ou chiffrées ?"
            orientation="horizontal"
            {...err("personalDataBreach")}
            options={radios("personalDataBreach", YES_NO_UNKNOWN)}
          />
          {form.personalDataBreach === "yes" && (
            <>
              <Input
                label="Nombre approximatif de personnes concernées"
                hintText="Une estimation suffit."
                {...err("personalDataPeople")}
                nativeInputProps={{
                  ...text("personalDataPeople"),
                  inputMode: "numeric",
                  autoComplete: "off",
                }}
              />
              <p className="fr-text--sm pris-muted">
                Une violation de données personnelles doit être notifiée à la CNIL dans les 72 heures.
              </p>
            </>
          )}
        </fieldset>

        <fieldset className="pris-section" aria-labelledby="section-actions">
          <h2 id="section-actions" className="fr-h4">
            4. Actions et besoins
          </h2>
          <Input
            textArea
            label="Mesures déjà prises"
            hintText="Par exemple : postes isolés, accès Internet coupé, comptes désactivés, sauvegardes protégées."
            {...err("measuresTaken")}
            nativeTextAreaProps={{ ...text("measuresTaken"), rows: 3 }}
          />
          <RadioButtons
            id="field-supportRequested"
            name="supportRequested"
            legend="Souhaitez-vous l'appui du pôle régional ?"
            orientation="horizontal"
            {...err("supportRequested")}
            options={radios("supportRequested", YES_NO)}
          />
          {form.supportRequested === "yes" && (
            <Input
              textArea
              label="De quoi avez-vous besoin ?"
              hintText="Par exemple : analyse technique, aide à la gestion de crise, contact d'un prestataire."
              {...err("supportDetails")}
              nativeTextAreaProps={{ ...text("supportDetails"), rows: 3 }}
            />
          )}
          <RadioButtons
            id="field-nationalPortalDeclared"
            name="nationalPortalDeclared"
            legend="Avez-vous déjà déclaré l'incident sur le portail national de signalement ?"
            hintText="Portail des signalements des événements sanitaires indésirables (CERT Santé)."
            orientation="horizontal"
            {...err("nationalPortalDeclared")}
            options={radios("nationalPortalDeclared", YES_NO)}
          />
          {form.nationalPortalDeclared === "yes" && (
            <Input
              label="Référence du signalement national"
              {...err("nationalPortalReference")}
              nativeInputProps={{
                ...text("nationalPortalReference"),
                maxLength: 100,
                autoCapitalize: "none",
              }}
            />
          )}
          <RadioButtons
            id="field-complaintFiled"
            name="complaintFiled"
            legend="Une plainte a-t-elle été déposée ?"
            orientation="horizontal"
            {...err("complaintFiled")}
            options={radios("complaintFiled", YES_NO)}
          />
        </fieldset>

        <fieldset className="pris-section" aria-labelledby="section-observables">
          <h2 id="section-observables" className="fr-h4">
            5. Indicateurs techniques (facultatif)
          </h2>
          <p className="fr-text--sm">
            Adresses IP, noms de domaine, adresses e-mail d'expéditeurs, empreintes de fichiers, CVE… Ils
            aident le pôle à repérer la même attaque ailleurs dans la région. Les valeurs « désamorcées »
            (hxxp, exemple[.]com) sont acceptées.
          </p>
          <ObservablesEditor
            rows={form.observables}
            errors={errors}
            showAllErrors={attempted}
            onChange={(rows) => {
              const before = new Map(formRef.current.observables.map((o) => [o.key, o]));
              update("observables", rows);
              // A row edited since the server refused it: its server error no longer applies.
              setErrors((e) => {
                const stale = rows.filter((r) => {
                  const old = before.get(r.key);
                  return old && (old.value !== r.value || old.type !== r.type) && e[`observables.${r.key}`];
                });
                if (stale.length === 0) return e;
                const next = { ...e };
                for (const r of stale) delete next[`observables.${r.key}`];
                return next;
              });
            }}
          />
        </fieldset>

        <fieldset className="pris-section" aria-labelledby="section-tlp">
          <h2 id="section-tlp" className="fr-h4">
            6. Diffusion de ces informations
          </h2>
          <RadioButtons
            id="field-tlp"
            name="tlp"
            legend="Niveau de partage (TLP)"
            hintText="Par défaut TLP:AMBER. Le pôle respecte ce niveau dans ses échanges et ses alertes."
            {...err("tlp")}
            options={radios(
              "tlp",
              TLP_LABELS.map((t) => ({ value: t, label: `TLP:${t}`, hintText: TLP_DESCRIPTIONS[t] })),
            )}
          />
        </fieldset>

        <SeverityPreview form={form} me={me} timeZone={tz} />

        <div ref={statusRef} tabIndex={-1} className="pris-submit-status" aria-live="polite">
          {submission.phase === "offline" && (
            <Alert
              severity="warning"
              title="Connexion perdue — votre déclaration est conservée sur cet appareil"
              description="Elle n'a pas pu être transmise. Elle sera renvoyée automatiquement dès le retour du réseau ; vous pouvez aussi réessayer maintenant. Aucun doublon ne sera créé."
              role="alert"
            />
          )}
          {submission.phase === "busy" && (
            <Alert
              severity="info"
              small
              description="Un envoi précédent de cette déclaration est en cours de traitement. Nouvelle tentative dans un instant…"
            />
          )}
          {submission.phase === "conflict" && (
            <Alert
              severity="warning"
              title="Une version antérieure de cette déclaration a peut-être déjà été reçue"
              description={
                <>
                  Un premier envoi, avec un contenu différent, a été reçu par le service. Vérifiez dans{" "}
                  <a href="/incidents" target="_blank" rel="noopener">
                    Mes signalements
                  </a>{" "}
                  avant de l'envoyer comme une nouvelle déclaration.
                </>
              }
              role="alert"
            />
          )}
          {submission.phase === "failed" && (
            <Alert severity="error" title="Envoi impossible" description={submission.message} role="alert" />
          )}
        </div>

        {submission.phase !== "login" && (
          <div className="pris-submit">
            {submission.phase === "conflict" ? (
              <Button
                type="button"
                size="large"
                className="pris-block-button"
                onClick={() => {
                  const key = newIdempotencyKey();
                  keyRef.current = key;
                  setIdempotencyKey(key);
                  void sendRef.current?.();
                }}
              >
                Envoyer comme nouvelle déclaration
              </Button>
            ) : (
              <Button
                type="submit"
                size="large"
                className="pris-block-button"
                iconId={submission.phase === "offline" ? "fr-icon-refresh-line" : "fr-icon-send-plane-fill"}
                disabled={sending}
              >
                {sending
                  ? "Envoi en cours…"
                  : submission.phase === "offline" || submission.phase === "failed"
                    ? "Réessayer"
                    : "Envoyer la déclaration"}
              </Button>
            )}
          </div>
        )}
      </form>

      {submission.phase === "login" && (
        <div className="pris-inline-login">
          <Alert
            severity="info"
            title="Votre session a expiré"
            description="Reconnectez-vous : la déclaration, conservée sur cet appareil, sera envoyée aussitôt."
            role="alert"
          />
          <div className="fr-mt-2w">
            <LoginForm
              initialEmail={me.email}
              autoFocus
              submitLabel="Se reconnecter et envoyer"
              onSuccess={(session) => {
                signedIn(session);
                void sendRef.current?.();
              }}
            />
          </div>
        </div>
      )}

      {hasDraft && (
        <div className="pris-draft-actions fr-mt-4w">
          <p className="fr-text--sm pris-muted fr-mb-1w">
            {storageFailed
              ? "Brouillon non enregistré sur cet appareil."
              : "Brouillon enregistré automatiquement sur cet appareil."}
          </p>
          {confirmClear ? (
            <div className="pris-confirm-clear">
              <p className="fr-text--sm fr-mb-1w">Effacer définitivement ce brouillon&nbsp;?</p>
              <Button priority="secondary" size="small" onClick={eraseDraft} className="fr-mr-2w">
                Oui, effacer
              </Button>
              <Button priority="tertiary" size="small" onClick={() => setConfirmClear(false)}>
                Annuler
              </Button>
            </div>
          ) : (
            <Button
              priority="tertiary"
              size="small"
              iconId="fr-icon-delete-line"
              onClick={() => setConfirmClear(true)}
            >
              Effacer le brouillon
            </Button>
          )}
        </div>
      )}
    </div>
  );
}
