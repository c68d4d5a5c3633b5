import { Alert } from "@codegouvfr/react-dsfr/Alert";
import { Button } from "@codegouvfr/react-dsfr/Button";
import { Checkbox } from "@codegouvfr/react-dsfr/Checkbox";
import { Input } from "@codegouvfr/react-dsfr/Input";
import { Select } from "@codegouvfr/react-dsfr/Select";
import {
  type AudienceInput,
  type AudiencePreview,
  BULLETIN_KIND_LABELS,
  BULLETIN_KINDS,
  BULLETIN_SEVERITIES,
  BULLETIN_SEVERITY_LABELS,
  type Bulletin,
  type BulletinDraft,
  type BulletinKind,
  type BulletinSeverity,
  CATEGORIES,
  CATEGORY_VALUES,
  type Category,
  TLP_DESCRIPTIONS,
  TLP_LABELS,
  type Tlp,
} from "@pris/domain";
import { useEffect, useMemo, useState } from "react";
import { useNavigate, useParams } from "react-router";
import { api, describeError, describeProblem } from "../api/client.ts";
import { BulletinView } from "../components/bulletin/BulletinView.tsx";
import { audienceSentence, PublishConfirmation } from "../components/bulletin/PublishConfirmation.tsx";
import { usePageTitle } from "../components/Layout.tsx";
import { EnumOptions } from "../components/SelectField.tsx";
import { useSubmission } from "../lib/use-submission.ts";

interface Form {
  kind: BulletinKind;
  tlp: Tlp;
  severity: BulletinSeverity;
  title: string;
  summary: string;
  risks: string;
  affectedSystems: string;
  products: string;
  recommendations: string;
  cves: string;
  links: string;
  observables: string;
  all: boolean;
  territories: string[];
  categories: Category[];
  ghtIds: string[];
  audienceProducts: string;
  establishmentIds: string[];
}

const EMPTY: Form = {
  kind: "alerte",
  tlp: "GREEN",
  severity: "medium",
  title: "",
  summary: "",
  risks: "",
  affectedSystems: "",
  products: "",
  recommendations: "",
  cves: "",
  links: "",
  observables: "",
  all: false,
  territories: [],
  categories: [],
  ghtIds: [],
  audienceProducts: "",
  establishmentIds: [],
};

const lines = (text: string) =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

/** "Éditeur | Produit | Versions", one per line. */
function parseProducts(text: string) {
  return lines(text).map((l) => {
    const [vendor = "", product, versions] = l.split("|").map((p) => p.trim());
    return { vendor, ...(product ? { product } : {}), ...(versions ? { versions } : {}) };
  });
}

/** "type valeur", one per line: "ipv4 185.220.101.7", "domain exemple.com". */
function parseObservables(text: string) {
  return lines(text).map((l) => {
    const [type = "", ...rest] = l.split(/\s+/);
    return { type, value: rest.join(" ") };
  }) as BulletinDraft["observables"];
}

function audienceOf(f: Form): AudienceInput {
  // Under AMBER+STRICT and RED only named establishments may receive it: choices made before switching
  // the label are kept on screen for a switch back, never sent.
  if (f.tlp === "RED" || f.tlp === "AMBER+STRICT") {
    return f.establishmentIds.length ? { establishmentIds: f.establishmentIds } : {};
  }
  const products = parseProducts(f.audienceProducts).map(({ vendor, product }) => ({
    vendor,
    ...(product ? { product } : {}),
  }));
  return {
    ...(f.all ? { all: true } : {}),
    ...(f.territories.length ? { territories: f.territories } : {}),
    ...(f.categories.length ? { categories: f.categories } : {}),
    ...(f.ghtIds.length ? { ghtIds: f.ghtIds } : {}),
    ...(products.length ? { products } : {}),
    ...(f.establishmentIds.length ? { establishmentIds: f.establishmentIds } : {}),
  };
}

function draftOf(f: Form): BulletinDraft {
  return {
    kind: f.kind,
    tlp: f.tlp,
    severity: f.severity,
    title: f.title.trim(),
    summary: f.summary.trim(),
    risks: lines(f.risks),
    affectedSystems: f.affectedSystems.trim(),
    products: parseProducts(f.products),
    recommendations: f.recommendations.trim(),
    cves: f.cves
      .split(/[\s,;]+/)
      .map((c) => c.trim().toUpperCase())
      .filter(Boolean),
    links: lines(f.links),
    observables: parseObservables(f.observables),
    audience: audienceOf(f),
  };
}

function formOf(b: Bulletin): Form {
  return {
    kind: b.kind,
    tlp: b.tlp,
    severity: b.severity,
    title: b.title,
    summary: b.summary,
    risks: b.risks.join("\n"),
    affectedSystems: b.affectedSystems,
    products: b.products.map((p) => [p.vendor, p.product ?? "", p.versions ?? ""].join(" | ")).join("\n"),
    recommendations: b.recommendations,
    cves: b.cves.join("\n"),
    links: b.links.join("\n"),
    observables: b.observables.map((o) => `${o.type} ${o.value}`).join("\n"),
    all: Boolean(b.audience.all),
    territories: b.audience.territories ?? [],
    categories: b.audience.categories ?? [],
    ghtIds: b.audience.ghtIds ?? [],
    audienceProducts: (b.audience.products ?? [])
      .map((p) => [p.vendor, p.product ?? ""].join(" | "))
      .join("\n"),
    establishmentIds: b.audience.establishmentIds ?? [],
  };
}

type Named = { id: string; name: string };

/**
 * The analyst's composer: content, TLP, audience with the live count of who will receive it, and a
 * preview as the recipients will read it. Saves a draft, then publishes it. With `mode="revise"`,
 * the content of a published bulletin and what changed, sent to the same recipients.
 */
export function BulletinComposerPage({ mode }: { mode: "new" | "edit" | "revise" }) {
  const { id } = useParams();
  const navigate = useNavigate();
  usePageTitle(
    mode === "revise" ? "Réviser un bulletin" : mode === "edit" ? "Modifier un bulletin" : "Nouveau bulletin",
  );
  const [form, setForm] = useState<Form>(EMPTY);
  const [changes, setChanges] = useState("");
  const [loaded, setLoaded] = useState(mode === "new");
  const [reference, setReference] = useState<string | null>(null);
  const [territories, setTerritories] = useState<{ code: string; name: string }[]>([]);
  const [ghts, setGhts] = useState<Named[]>([]);
  const [establishments, setEstablishments] = useState<Named[]>([]);
  const [count, setCount] = useState<AudiencePreview | null>(null);
  const [countError, setCountError] = useState<string | null>(null);
  const { busy, error, setError, run } = useSubmission();
  const [confirming, setConfirming] = useState<AudiencePreview | null>(null);

  useEffect(() => {
    api.get<{ code: string; name: string }[]>("/territories").then(setTerritories, () => {});
    api.get<Named[]>("/ghts").then(setGhts, () => {});
    (async () => {
      const all: Named[] = [];
      let cursor: string | null = null;
      do {
        const sp = new URLSearchParams({ limit: "100" });
        if (cursor) sp.set("cursor", cursor);
        const page: { items: Named[]; nextCursor: string | null } = await api.get(`/establishments?${sp}`);
        all.push(...page.items.map((e) => ({ id: e.id, name: e.name })));
        cursor = page.nextCursor;
      } while (cursor && all.length < 5000);
      setEstablishments(all.sort((a, b) => a.name.localeCompare(b.name, "fr")));
    })().catch(() => {});
  }, []);

  useEffect(() => {
    if (mode === "new" || !id) return;
    api.get<Bulletin>(`/bulletins/${id}`).then(
      (b) => {
        setForm(formOf(b));
        setReference(b.reference);
        setLoaded(true);
      },
      (err: unknown) => setError(describeError(err)),
    );
  }, [id, mode, setError]);

  const audience = useMemo(() => audienceOf(form), [form]);
  const audienceKey = JSON.stringify([form.tlp, audience]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the key stands for the TLP and the audience
  useEffect(() => {
    if (!loaded) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api
        .post<AudiencePreview>(
          "/bulletins/audience-preview",
          { tlp: form.tlp, audience },
          { signal: controller.signal },
        )
        .then(
          (c) => {
            setCount(c);
            setCountError(null);
          },
          (err: unknown) => {
            if (!controller.signal.aborted) setCountError(describeProblem(err));
          },
        );
    }, 250);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [audienceKey, loaded]);

  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));
  const toggle = <K extends "territories" | "categories" | "ghtIds">(key: K, value: Form[K][number]) =>
    setForm((f) => {
      const list = f[key] as string[];
      return { ...f, [key]: list.includes(value) ? list.filter((v) => v !== value) : [...list, value] };
    });

  async function save(): Promise<string> {
    const body = draftOf(form);
    if (mode === "edit" && id) return (await api.put<Bulletin>(`/bulletins/${id}`, body)).id;
    return (await api.post<Bulletin>("/bulletins", body)).id;
  }

  /** Publishing e-mails people: the audience is counted again and the analyst confirms first. */
  function askToPublish(e: { preventDefault(): void }) {
    e.preventDefault();
    return run(async () => {
      setConfirming(
        await api.post<AudiencePreview>("/bulletins/audience-preview", { tlp: form.tlp, audience }),
      );
    });
  }

  function submit(e: { preventDefault(): void }, publish: boolean) {
    e.preventDefault();
    setConfirming(null);
    return run(async () => {
      if (mode === "revise" && id) {
        const { kind: _k, tlp: _t, audience: _a, ...content } = draftOf(form);
        await api.post(`/bulletins/${id}/revisions`, { ...content, changes: changes.trim() });
        navigate(`/bulletins/${id}`);
        return;
      }
      const saved = await save();
      if (publish) await api.post(`/bulletins/${saved}/publish`);
      navigate(`/bulletins/${saved}`);
    });
  }

  const strict = form.tlp === "RED" || form.tlp === "AMBER+STRICT";
  const text = (label: string, key: keyof Form, hint?: string, rows = 3) => (
    <Input
      label={label}
      hintText={hint}
      textArea
      nativeTextAreaProps={{
        name: key,
        rows,
        value: form[key] as string,
        onChange: (e) => set(key, e.target.value as never),
      }}
    />
  );

  const choice = <K extends "kind" | "tlp" | "severity">(
    label: string,
    key: K,
    values: readonly Form[K][],
    labels: Record<Form[K], string> | ((value: Form[K]) => string),
    hint?: string,
  ) => (
    <Select
      label={label}
      hint={hint}
      nativeSelectProps={{
        name: key,
        value: form[key],
        onChange: (e) => set(key, e.target.value as Form[K]),
      }}
    >
      <EnumOptions values={values} labels={labels} />
    </Select>
  );

  return (
    <div className="fr-container fr-my-4w">
      <h1 className="fr-h2">
        {mode === "revise"
          ? `Réviser ${reference ?? ""}`
          : mode === "edit"
            ? "Modifier le brouillon"
            : "Nouveau bulletin"}
      </h1>
      {error && <Alert severity="error" small description={error} className="fr-mb-2w" />}
      <div className="pris-composer">
        <form
          onSubmit={(e) => (mode === "revise" ? askToPublish(e) : submit(e, false))}
          aria-label="Rédaction du bulletin"
        >
          {mode !== "revise" && (
            <>
              {choice("Type", "kind", BULLETIN_KINDS, BULLETIN_KIND_LABELS)}
              {choice("Marquage TLP", "tlp", TLP_LABELS, (t) => `TLP:${t}`, TLP_DESCRIPTIONS[form.tlp])}
            </>
          )}
          {choice("Gravité", "severity", BULLETIN_SEVERITIES, BULLETIN_SEVERITY_LABELS)}
          <Input
            label="Titre"
            nativeInputProps={{
              name: "title",
              value: form.title,
              onChange: (e) => set("title", e.target.value),
            }}
          />
          {text("Résumé", "summary", undefined, 5)}
          {text("Risques", "risks", "Un risque par ligne")}
          {text("Systèmes affectés", "affectedSystems")}
          {text("Produits affectés", "products", "Un par ligne : Éditeur | Produit | Versions")}
          {text("Actions recommandées", "recommendations", undefined, 4)}
          {text("CVE", "cves", "Par exemple CVE-2026-12345, séparées par des espaces ou des lignes", 2)}
          {text("Liens", "links", "Une adresse https:// par ligne", 2)}
          {text(
            "Observables",
            "observables",
            "Un par ligne : type puis valeur (ipv4 185.220.101.7, domain exemple.com, sha256 …)",
          )}

          {mode === "revise" ? (
            <Input
              label="Ce qui a changé"
              hintText="Indiqué en tête du courriel de révision"
              nativeInputProps={{
                name: "changes",
                value: changes,
                onChange: (e) => setChanges(e.target.value),
              }}
            />
          ) : (
            <fieldset className="pris-section">
              <h2 className="fr-h4">Destinataires</h2>
              {strict && (
                <Alert
                  severity="info"
                  small
                  description={
                    form.tlp === "RED"
                      ? "TLP:RED : aucun courriel. Seuls les RSSI des établissements nommés le liront dans PRIS."
                      : "TLP:AMBER+STRICT : uniquement les établissements nommés."
                  }
                  className="fr-mb-2w"
                />
              )}
              {!strict && (
                <>
                  <Checkbox
                    options={[
                      {
                        label: "Tout le réseau",
                        nativeInputProps: { checked: form.all, onChange: () => set("all", !form.all) },
                      },
                    ]}
                  />
                  <Checkbox
                    legend="Territoires"
                    orientation="horizontal"
                    options={territories.map((t) => ({
                      label: t.name,
                      nativeInputProps: {
                        checked: form.territories.includes(t.code),
                        onChange: () => toggle("territories", t.code),
                      },
                    }))}
                  />
                  <Checkbox
                    legend="Catégories"
                    options={CATEGORY_VALUES.map((c) => ({
                      label: CATEGORIES[c].label,
                      nativeInputProps: {
                        checked: form.categories.includes(c),
                        onChange: () => toggle("categories", c),
                      },
                    }))}
                  />
                  {ghts.length > 0 && (
                    <Checkbox
                      legend="GHT"
                      options={ghts.map((g) => ({
                        label: g.name,
                        nativeInputProps: {
                          checked: form.ghtIds.includes(g.id),
                          onChange: () => toggle("ghtIds", g.id),
                        },
                      }))}
                    />
                  )}
                  {text(
                    "Utilisateurs d'un produit ou fournisseur déclaré",
                    "audienceProducts",
                    "Un par ligne : Éditeur | Produit (facultatif)",
                    2,
                  )}
                </>
              )}
              <Select
                label="Établissements nommés"
                hint="Ctrl ou Cmd pour en choisir plusieurs"
                nativeSelectProps={{
                  name: "establishmentIds",
                  multiple: true,
                  size: 8,
                  value: form.establishmentIds,
                  onChange: (e) =>
                    set(
                      "establishmentIds",
                      [...e.target.selectedOptions].map((o) => o.value),
                    ),
                }}
              >
                {establishments.map((e) => (
                  <option key={e.id} value={e.id}>
                    {e.name}
                  </option>
                ))}
              </Select>
              <p role="status" aria-live="polite" className="fr-text--bold" data-testid="audience-count">
                {countError ?? (count ? audienceSentence(count, form.tlp) : "Calcul des destinataires…")}
              </p>
            </fieldset>
          )}
          {confirming ? (
            <PublishConfirmation
              count={confirming}
              tlp={form.tlp}
              revision={mode === "revise"}
              busy={busy}
              onConfirm={() => submit({ preventDefault() {} }, true)}
              onCancel={() => setConfirming(null)}
            />
          ) : (
            <div className="fr-btns-group fr-btns-group--inline">
              {mode === "revise" ? (
                <Button type="button" disabled={busy} onClick={askToPublish}>
                  Publier la révision
                </Button>
              ) : (
                <>
                  <Button type="submit" priority="secondary" disabled={busy}>
                    Enregistrer le brouillon
                  </Button>
                  <Button type="button" disabled={busy} onClick={askToPublish}>
                    Publier
                  </Button>
                </>
              )}
            </div>
          )}
        </form>
        <section aria-label="Aperçu" className="pris-composer-preview">
          <h2 className="fr-h4">Aperçu</h2>
          <p className="pris-audience-beside fr-text--bold" data-testid="audience-beside-preview">
            {countError ?? (count ? audienceSentence(count, form.tlp) : "Calcul des destinataires…")}
          </p>
          <BulletinView bulletin={{ ...draftOf(form), reference }} />
        </section>
      </div>
    </div>
  );
}
