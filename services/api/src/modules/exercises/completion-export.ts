import { CATEGORIES, type Category, type Completion, type LatePage } from "@pris/domain";
import { stringify } from "csv-stringify/sync";

/** What the ARS opens in a spreadsheet: French headers, one row per territory × category, then the total. */
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
const percent = (rate: number | null) => (rate === null ? null : Math.round(rate * 1000) / 10);

function tableRows(data: Completion): (string | number | null)[][] {
  const line = (territory: string, category: string, r: Completion["total"]) => [
    data.year,
    territory,
    category,
    r.subject,
    r.planned,
    r.held,
    percent(r.rate),
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
  return `\uFEFF${stringify([HEADERS, ...tableRows(data)], { delimiter: ";", record_delimiter: "\r\n" })}`;
}

export async function completionXlsx(data: Completion, late: LatePage): Promise<Buffer> {
  // Loaded on first use: the library takes ~400 ms to import, and only this export needs it.
  const { default: ExcelJS } = await import("exceljs");
  const workbook = new ExcelJS.Workbook();
  workbook.creator = "PRIS";
  const sheet = workbook.addWorksheet(`Réalisation ${data.year}`);
  sheet.addRow(HEADERS).font = { bold: true };
  for (const row of tableRows(data)) sheet.addRow(row);
  sheet.columns.forEach((column) => {
    column.width = 18;
  });
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
      e.territory,
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
