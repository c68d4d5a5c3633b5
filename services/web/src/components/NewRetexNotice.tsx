import type { SharedRetexPage } from "@pris/domain";
import { useEffect, useState } from "react";
import { Link } from "react-router";
import { api } from "../api/client.ts";
import { retexSeenSince } from "../lib/retex-seen.ts";
import { useMe } from "../session.tsx";

const plural = new Intl.PluralRules("fr-FR");

/**
 * One line on the home of the ARS and the RSSIs when RETEX were shared since this browser last showed
 * them the list (see retex-seen.ts). Says nothing when there is nothing new or the list cannot be read.
 */
export function NewRetexNotice() {
  const me = useMe();
  const [fresh, setFresh] = useState<{ count: number; more: boolean } | null>(null);
  useEffect(() => {
    const controller = new AbortController();
    const sp = new URLSearchParams({ sharedSince: retexSeenSince(me.id), limit: "20" });
    api
      .get<SharedRetexPage>(`/retex/shared?${sp}`, { signal: controller.signal })
      .then((page) => setFresh({ count: page.items.length, more: page.nextCursor !== null }))
      .catch(() => {});
    return () => controller.abort();
  }, [me.id]);
  if (!fresh || fresh.count === 0) return null;
  const one = plural.select(fresh.count) === "one" && !fresh.more;
  return (
    <div className="fr-notice fr-notice--info" data-testid="new-retex">
      <div className="fr-container">
        <div className="fr-notice__body">
          <p className="fr-notice__title">
            {fresh.more ? "Plus de " : ""}
            {fresh.count} {one ? "nouveau RETEX partagé" : "nouveaux RETEX partagés"} par les établissements
            de la région. <Link to="/retex">{one ? "Le lire" : "Les lire"}</Link>
          </p>
        </div>
      </div>
    </div>
  );
}
