/**
 * Numbers as a French reader expects them, through Intl (fr-FR): a decimal comma, a narrow no-break space
 * between thousands and a no-break space before the percent sign ("12,5 %", "1 250"). Shared by the web app, the e-mails and
 * the exports so that a figure reads the same everywhere.
 */
const formats = new Map<string, Intl.NumberFormat>();

function numberFormat(key: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  let f = formats.get(key);
  if (!f) {
    f = new Intl.NumberFormat("fr-FR", options);
    formats.set(key, f);
  }
  return f;
}

/** "1 250", "12,5": at most `maxDecimals` decimals, none shown when the number is whole. */
export function formatNumber(n: number, maxDecimals = 1): string {
  return numberFormat(`n${maxDecimals}`, { maximumFractionDigits: maxDecimals }).format(n);
}

/** A ratio (0.125) as "12,5 %"; "—" when there is nothing to divide. */
export function formatRatio(ratio: number | null | undefined, maxDecimals = 1): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return "—";
  return numberFormat(`p${maxDecimals}`, { style: "percent", maximumFractionDigits: maxDecimals }).format(
    ratio,
  );
}

/** A share of a whole as "12,5 %"; "—" when the whole is 0. */
export function formatShare(part: number, whole: number, maxDecimals = 1): string {
  return whole === 0 ? "—" : formatRatio(part / whole, maxDecimals);
}

/**
 * "1 incident", "3 incidents", "0 incident" (French puts 0 and 1 in the singular): the count and the word
 * that agrees with it. `plural` defaults to the singular with an s.
 */
export function countOf(n: number, singular: string, plural = `${singular}s`): string {
  return `${formatNumber(n, 0)} ${pluralOf(n, singular, plural)}`;
}

/** The word alone, agreed with the count: French takes the singular below 2. */
export function pluralOf(n: number, singular: string, plural = `${singular}s`): string {
  return Math.abs(n) >= 2 ? plural : singular;
}

/**
 * A number for a CSV cell a French spreadsheet reads as a number: a decimal comma and no thousands
 * separator ("12,5", "1250"); "12.5" would be text in a French LibreOffice or Excel. Empty for no value.
 */
export function csvNumber(n: number | null | undefined, maxDecimals = 1): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "";
  return numberFormat(`csv${maxDecimals}`, { maximumFractionDigits: maxDecimals, useGrouping: false }).format(
    n,
  );
}
