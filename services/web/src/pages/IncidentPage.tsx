import { useParams } from "react-router";
import { isPole } from "../lib/queue-events.ts";
import { useMe } from "../session.tsx";
import { FollowIncidentPage } from "./incident/FollowIncidentPage.tsx";
import { PoleIncidentPage } from "./incident/PoleIncidentPage.tsx";

export { IncidentLoadError } from "./incident/IncidentLoadError.tsx";

export function IncidentPage() {
  const { id = "" } = useParams();
  const me = useMe();
  // The pole and the task force work the incident; everyone else (the establishment, the ARS) follows it.
  return isPole(me.role) || me.role === "admin" ? (
    <PoleIncidentPage id={id} />
  ) : (
    <FollowIncidentPage id={id} />
  );
}
