/** Human references: REU-2026-0042 for incidents. Numbered per region and year, without gaps. */
export function incidentReference(regionCode: string, year: number, sequence: number): string {
  return `${regionCode}-${year}-${String(sequence).padStart(4, "0")}`;
}

/** The calendar year of an instant in the region's time zone (31 Dec 22:00 UTC is already next year in Réunion). */
export function yearInZone(at: Date, timeZone: string): number {
  return Number(new Intl.DateTimeFormat("en-GB", { year: "numeric", timeZone }).format(at));
}
