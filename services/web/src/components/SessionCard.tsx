import { Badge } from "@codegouvfr/react-dsfr/Badge";
import type { SessionInfo } from "@pris/domain";
import { type ReactNode, useEffect, useState } from "react";
import { describeSignIn } from "../lib/session-labels.ts";
import { formatLong, formatShort, formatSince } from "../lib/zoned-time.ts";
import { useApp } from "../session.tsx";

/** The time now, moved on every minute: "il y a 3 min" stays true while the page is open. */
export function useMinuteClock(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

/** What a person recognises a session by, in a sentence: for button names and confirmations. */
export function sessionName(session: SessionInfo): string {
  return `${session.device || "appareil inconnu"}${session.ip ? `, adresse ${session.ip}` : ""}`;
}

/**
 * One open session as a card (a phone reads it without scrolling sideways): the device, when it was last
 * used, its address, when and how it was opened; `children` holds what can be done to it.
 */
export function SessionCard({
  session,
  now,
  heading: Heading,
  children,
}: {
  session: SessionInfo;
  now: number;
  heading: "h2" | "h3";
  children?: ReactNode;
}) {
  const { config } = useApp();
  const tz = config.timeZone;
  return (
    <li className="pris-card" data-testid="session-card">
      <Heading className="fr-h6 fr-mb-1w">
        {session.device || "Appareil inconnu"}{" "}
        {session.current && (
          <Badge as="span" severity="info" small noIcon>
            Cette session
          </Badge>
        )}
      </Heading>
      <p className="fr-mb-1v">
        Dernière activité :{" "}
        <time dateTime={session.lastSeenAt} title={formatLong(session.lastSeenAt, tz)}>
          {formatSince(session.lastSeenAt, now, tz)}
        </time>
      </p>
      <p className="fr-mb-1v">Adresse IP : {session.ip ?? "inconnue"}</p>
      <p className="fr-mb-1v">
        Ouverte le <time dateTime={session.createdAt}>{formatShort(session.createdAt, tz)}</time>
      </p>
      <p className={children ? "fr-mb-1w" : "fr-mb-0"}>
        Connexion : {describeSignIn(session, config.ssoProviders)}
      </p>
      {children}
    </li>
  );
}
