import AxeBuilder from "@axe-core/playwright";
import {
  CATEGORY_VALUES,
  CLOCK_KINDS,
  CLOCK_STATES,
  INCIDENT_ACTIONS,
  INCIDENT_STATUSES,
  LOG_ENTRY_KINDS,
  MAIL_TEMPLATES,
  OUTBOX_TOPICS,
  RSIT_CLASS_VALUES,
  RSIT_TYPE_VALUES,
  TIMER_KINDS,
} from "@pris/domain";
import type { Page } from "playwright-core";

/** How far the page is wider than the viewport (WCAG 1.4.10 reflow: 0 expected). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** axe-core's serious and critical violations on the page as it is, one line each. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/**
 * Keys that are French words, or read as such in a sentence, and may rightly appear in a page's text.
 * Every other internal key is never meant to be read by a person.
 */
const WORDS = new Set([
  ...["comment", "action", "notification", "bulletin", "invitation", "call", "test", "new"],
  ...["spam", "phishing", "scanner", "ddos", "dos", "violence", "sabotage", "intrusions", "exploit"],
]);

/** Every internal key a page or an e-mail could show by mistake instead of its French label. */
export const INTERNAL_KEYS: ReadonlySet<string> = new Set(
  [
    ...LOG_ENTRY_KINDS,
    ...INCIDENT_STATUSES,
    ...INCIDENT_ACTIONS,
    ...CLOCK_KINDS,
    ...CLOCK_STATES,
    ...OUTBOX_TOPICS,
    ...MAIL_TEMPLATES,
    ...TIMER_KINDS,
    ...CATEGORY_VALUES,
    ...RSIT_CLASS_VALUES,
    ...RSIT_TYPE_VALUES,
  ].filter((k) => !WORDS.has(k)),
);

/** The internal keys found, as whole words, in a text a person reads. */
export function rawKeysIn(text: string): string[] {
  const found = new Set<string>();
  for (const token of text.split(/[^\p{L}\p{N}_.+-]+/u)) {
    const word = token.replace(/^[.+-]+|[.+-]+$/g, "");
    if (INTERNAL_KEYS.has(word)) found.add(word);
  }
  return [...found];
}

/** The internal keys the page shows (its text as read, not its markup). */
export async function rawKeysOnPage(page: Page): Promise<string[]> {
  // The text as rendered, line by line: textContent would run adjacent cells' words together.
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what is read
  return rawKeysIn(await page.evaluate(() => document.body.innerText));
}
