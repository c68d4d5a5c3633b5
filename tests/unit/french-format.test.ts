import { countOf, csvNumber, formatNumber, formatRatio, formatShare, pluralOf, telUri } from "@pris/domain";
import { describe, expect, test } from "vitest";

// Intl's French separators (CLDR): a no-break space before "%", a narrow one between thousands.
const NBSP = "\u00a0";
const NNBSP = "\u202f";

describe("French numbers", () => {
  test("percentages with a decimal comma and a narrow no-break space", () => {
    expect(formatRatio(0.125)).toBe(`12,5${NBSP}%`);
    expect(formatRatio(0.5)).toBe(`50${NBSP}%`);
    expect(formatRatio(0.1234, 0)).toBe(`12${NBSP}%`);
    expect(formatRatio(null)).toBe("—");
    expect(formatShare(1, 8)).toBe(`12,5${NBSP}%`);
    expect(formatShare(3, 0)).toBe("—");
  });
  test("numbers grouped by thousands, decimals with a comma", () => {
    expect(formatNumber(1250)).toBe(`1${NNBSP}250`);
    expect(formatNumber(12.5)).toBe("12,5");
    expect(formatNumber(3)).toBe("3");
  });
  test("CSV cells a French spreadsheet reads as numbers: comma, no grouping", () => {
    expect(csvNumber(12.5)).toBe("12,5");
    expect(csvNumber(1250.25, 2)).toBe("1250,25");
    expect(csvNumber(100)).toBe("100");
    expect(csvNumber(null)).toBe("");
  });
  test("singular below 2, as French writes it", () => {
    expect(countOf(0, "établissement")).toBe("0 établissement");
    expect(countOf(1, "établissement assujetti", "établissements assujettis")).toBe(
      "1 établissement assujetti",
    );
    expect(countOf(2, "établissement assujetti", "établissements assujettis")).toBe(
      "2 établissements assujettis",
    );
    expect(countOf(1500, "incident")).toBe(`1${NNBSP}500 incidents`);
    expect(pluralOf(1, "créneau", "créneaux")).toBe("créneau");
    expect(pluralOf(3, "créneau", "créneaux")).toBe("créneaux");
  });
  test("a phone number as a tel: link", () => {
    expect(telUri("0262 99 00 00")).toBe("tel:0262990000");
    expect(telUri("+262 (0)262 12.34.56")).toBe("tel:+262262123456");
    expect(telUri("01-99-00-12-34")).toBe("tel:0199001234");
  });
});
