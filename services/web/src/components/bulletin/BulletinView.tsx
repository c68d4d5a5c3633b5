import {
  BULLETIN_KIND_LABELS,
  BULLETIN_SEVERITY_LABELS,
  type BulletinDraft,
  type BulletinKind,
  type BulletinSeverity,
  OBSERVABLE_LABELS,
  type ObservableType,
  TLP_DESCRIPTIONS,
  type Tlp,
} from "@pris/domain";
import { TlpBadge } from "../badges.tsx";

export type BulletinContent = Pick<
  BulletinDraft,
  | "title"
  | "summary"
  | "risks"
  | "affectedSystems"
  | "products"
  | "recommendations"
  | "cves"
  | "links"
  | "severity"
> & {
  kind: BulletinKind;
  tlp: Tlp;
  reference?: string | null;
  revision?: number;
  observables: { type: string; value: string }[];
};

function TlpBar({ tlp }: { tlp: Tlp }) {
  return (
    <p className="pris-tlp-bar">
      <TlpBadge tlp={tlp} /> <span>{TLP_DESCRIPTIONS[tlp]}</span>
    </p>
  );
}

/** A bulletin as its recipients read it, with its TLP label at the top and at the bottom. */
export function BulletinView({ bulletin }: { bulletin: BulletinContent }) {
  const b = bulletin;
  return (
    <article className="pris-bulletin" aria-label="Bulletin">
      <TlpBar tlp={b.tlp} />
      <p className="fr-text--sm fr-mb-1w">
        {BULLETIN_KIND_LABELS[b.kind]} {b.reference ?? "(référence attribuée à la publication)"}
        {b.revision && b.revision > 1 ? ` — révision ${b.revision}` : ""} — gravité{" "}
        {BULLETIN_SEVERITY_LABELS[b.severity as BulletinSeverity]}
      </p>
      <h2 className="fr-h4">{b.title || "(sans titre)"}</h2>
      <h3 className="fr-h6 fr-mb-1w">Résumé</h3>
      <p className="pris-pre">{b.summary}</p>
      {b.risks.length > 0 && (
        <>
          <h3 className="fr-h6 fr-mb-1w">Risques</h3>
          <ul>
            {b.risks.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </>
      )}
      {b.affectedSystems && (
        <>
          <h3 className="fr-h6 fr-mb-1w">Systèmes affectés</h3>
          <p className="pris-pre">{b.affectedSystems}</p>
        </>
      )}
      {b.products.length > 0 && (
        <>
          <h3 className="fr-h6 fr-mb-1w">Produits affectés</h3>
          <ul>
            {b.products.map((p) => (
              <li key={`${p.vendor}|${p.product ?? ""}|${p.versions ?? ""}`}>
                {[p.vendor, p.product, p.versions ? `(${p.versions})` : ""].filter(Boolean).join(" ")}
              </li>
            ))}
          </ul>
        </>
      )}
      {b.recommendations && (
        <>
          <h3 className="fr-h6 fr-mb-1w">Actions recommandées</h3>
          <p className="pris-pre">{b.recommendations}</p>
        </>
      )}
      {b.cves.length > 0 && (
        <p>
          <strong>CVE :</strong> {b.cves.join(", ")}
        </p>
      )}
      {b.observables.length > 0 && (
        <>
          <h3 className="fr-h6 fr-mb-1w">Observables</h3>
          <ul className="pris-mono">
            {b.observables.map((o) => (
              <li key={`${o.type}:${o.value}`}>
                {OBSERVABLE_LABELS[o.type as ObservableType] ?? "Indicateur"} : {o.value}
              </li>
            ))}
          </ul>
        </>
      )}
      {b.links.length > 0 && (
        <>
          <h3 className="fr-h6 fr-mb-1w">Pour en savoir plus</h3>
          <ul>
            {b.links.map((l) => (
              <li key={l}>
                <a href={l} target="_blank" rel="noreferrer noopener">
                  {l}
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
      <TlpBar tlp={b.tlp} />
    </article>
  );
}
