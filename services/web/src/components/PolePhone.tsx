import { telUri } from "@pris/domain";
import { useApp } from "../session.tsx";

/**
 * The regional cyber pole's emergency phone as a link a phone dials, or `fallback` when the region has
 * not set one: someone whose information system is under attack needs a number, not a sentence.
 */
export function PolePhoneLink({ fallback = "le pôle régional cyber" }: { fallback?: string }) {
  const { config } = useApp();
  const phone = config.poleEmergencyPhone;
  if (!phone) return <>{fallback}</>;
  return (
    <a href={telUri(phone)} className="fr-link" style={{ whiteSpace: "nowrap" }} data-testid="pole-phone">
      {phone}
    </a>
  );
}
