import { CATEGORIES, type Category, type Completion, csvNumber, type LatePage } from "@pris/domain";
import { stringify } from "csv-stringify/sync";

/**
 * What the ARS opens in a spreadsheet: French headers, one row per territory × category (by their names),
 * then the total. The rate is a number the spreadsheet computes with: a decimal comma in the CSV, a ratio
 * shown as a percentage in the XLSX.
 */
const HEADERS = [
  "Année",
  "Territoire",
  "Catégorie",
  "Assujettis",
  "Exercice planifié ou réalisé",
  "Exercice réalisé",
  "Taux de réalisation (%)",
  "RETEX soumis",
  "Actions d'amélioration",
  "Actions soldées",
];

const categoryLabel = (c: string) => CATEGORIES[c as Category]?.label ?? c;
const RATE_COLUMN = HEADERS.indexOf("Taux de réalisation (%)");

function tableRows<R>(data: Completion, rate: (rate: number | null) => R): (string | number | R)[][] {
  const line = (territory: string, category: string, r: Completion["total"]) => [
    data.year,
    territory,
    category,
    r.subject,
    r.planned,
    r.held,
    rate(r.rate),
    r.retexSubmitted,
    r.actionsTotal,
    r.actionsClosed,
  ];
  return [
    ...data.rows.map((r) => line(r.territoryName, categoryLabel(r.category), r)),
    line("Total", "Toutes", data.total),
  ];
}

/** CSV for a French spreadsheet: semicolons, a BOM so that accents survive Excel. */
export function completionCsv(data: Completion): string {
  const rows = tableRows(data, (rate) => csvNumber(rate === null ? null : rate * 100));
  return `\uFEFF${stringify([HEADERS, ...rows], { delimiter: ";", record_delimiter: "\r\n" })}`;
}

export async function completionXlsx(data: Completion, late: LatePage): Promise<Buffer> {
  // Loaded on first use: the library takes ~400 ms to import, and only this export needs it.
  const { default: ExcelJS } = await import("exceljs");
  const workbook = new ExcelJS.Workbook();
  workbook.creator = "PRIS";
  const sheet = workbook.addWorksheet(`Réalisation ${data.year}`);
  sheet.addRow(HEADERS.map((h, i) => (i === RATE_COLUMN ? "Taux de réalisation" : h))).font = { bold: true };
  // The ratio itself (0.125), shown "12,5 %" in the reader's locale: a number, not text.
  for (const row of tableRows(data, (rate) => rate)) sheet.addRow(row);
  sheet.getColumn(RATE_COLUMN + 1).numFmt = "0.0%";
  sheet.columns.forEach((column) => {
    column.width = 18;
  });
  const territoryNames = new Map(data.rows.map((r) => [r.territory, r.territoryName]));
  const lateSheet = workbook.addWorksheet("En retard");
  lateSheet.addRow([
    "FINESS",
    "Établissement",
    "Territoire",
    "Catégorie",
    "Exercice planifié",
    "RSSI",
    "Courriel",
    "Téléphone",
  ]).font = { bold: true };
  for (const e of late.items) {
    lateSheet.addRow([
      e.finess,
      e.name,
      territoryNames.get(e.territory) ?? e.territory,
      categoryLabel(e.category),
      e.planned ? "oui" : "non",
      e.rssiName,
      e.rssiEmail,
      e.rssiPhone,
    ]);
  }
  lateSheet.columns.forEach((column) => {
    column.width = 24;
  });
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
