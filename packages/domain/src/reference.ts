/** Human references: REU-2026-0042 for incidents. Numbered per region and year, without gaps. */
export function incidentReference(regionCode: string, year: number, sequence: number): string {
  return `${regionCode}-${year}-${String(sequence).padStart(4, "0")}`;
}

const yearFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar year of an instant in the region's time zone (31 Dec 22:00 UTC is already next year in Réunion). */
export function yearInZone(at: Date, timeZone: string): number {
  let format = yearFormats.get(timeZone);
  if (!format) {
    // Building a formatter costs far more than using one: keep one per zone.
    format = new Intl.DateTimeFormat("en-GB", { year: "numeric", timeZone });
    yearFormats.set(timeZone, format);
  }
  return Number(format.format(at));
}
