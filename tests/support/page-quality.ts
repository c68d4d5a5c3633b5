import { createRequire } from "node:module";
import {
  CATEGORY_VALUES,
  CLOCK_KINDS,
  CLOCK_STATES,
  INCIDENT_ACTIONS,
  INCIDENT_STATUSES,
  LOG_ENTRY_KINDS,
  MAIL_TEMPLATES,
  OUTBOX_TOPICS,
  QUARANTINE_REASON_VALUES,
  RSIT_CLASS_VALUES,
  RSIT_TYPE_VALUES,
  TIMER_KINDS,
} from "@pris/domain";
import type { Page } from "playwright-core";

/** How far the page is wider than the viewport (WCAG 1.4.10 reflow: 0 expected). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/**
 * How many pixels the document is wider than the window, and the outermost elements sticking out (an
 * element wider than the window whose parent is not, outside any frame that scrolls), widest first.
 */
export function overflowOffenders(page: Page): Promise<{ overflow: number; offenders: string[] }> {
  return page.evaluate(() => {
    const vw = window.innerWidth;
    const overflow = document.documentElement.scrollWidth - vw;
    if (overflow <= 0) return { overflow: 0, offenders: [] as string[] };
    const clips = (e: Element) => getComputedStyle(e).overflowX !== "visible";
    const sticksOut = (e: Element) => e.getBoundingClientRect().right > vw + 1;
    const describe = (e: Element) => {
      const cls = [...e.classList].slice(0, 3).join(".");
      const text = (e.textContent ?? "").trim().replace(/\s+/g, " ").slice(0, 40);
      const r = e.getBoundingClientRect();
      return `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ""}${cls ? `.${cls}` : ""} [${Math.round(r.left)}→${Math.round(r.right)} px] "${text}"`;
    };
    const found: { e: Element; right: number }[] = [];
    for (const e of document.body.querySelectorAll("*")) {
      if (!sticksOut(e)) continue;
      // Inside a frame that scrolls or clips, the overflow is the frame's business.
      let clipped = false;
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
        if (clips(a)) {
          clipped = true;
          break;
        }
      }
      if (clipped) continue;
      const parent = e.parentElement;
      if (parent && parent !== document.body && sticksOut(parent)) continue;
      found.push({ e, right: e.getBoundingClientRect().right });
    }
    found.sort((a, b) => b.right - a.right);
    return { overflow, offenders: found.slice(0, 5).map((f) => describe(f.e)) };
  });
}

/**
 * Text squeezed into a column so narrow that it wraps letter by letter ("Mes bulletins" on a phone as a
 * seven-column table): a visible text of four letters or more laid out on three lines or more with
 * fewer than five letters a line. Text hidden for screen readers (a 1-pixel box) is not read by eyes.
 */
export function crushedText(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const letters = (node.textContent ?? "").replace(/\s+/g, "").length;
      if (letters < 4) continue;
      range.selectNodeContents(node);
      const lines = new Set(
        [...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)),
      );
      if (lines.size < 3 || letters / lines.size >= 5) continue;
      let hidden = false;
      for (let e = node.parentElement; e && e !== document.body; e = e.parentElement) {
        const r = e.getBoundingClientRect();
        if (r.width <= 1 || r.height <= 1) {
          hidden = true;
          break;
        }
      }
      if (hidden) continue;
      const parent = node.parentElement;
      const width = Math.round(parent?.getBoundingClientRect().width ?? 0);
      found.push(
        `${parent?.tagName.toLowerCase()} "${(node.textContent ?? "").trim().slice(0, 40)}" on ${lines.size} lines, ${width} px wide`,
      );
    }
    return found.slice(0, 5);
  });
}

/** axe-core's source, injected into a page once per document. */
const axeSource: string = createRequire(import.meta.url)("axe-core").source;

/**
 * axe-core's serious and critical violations on the page as it is, one line each (three nodes at most).
 * axe-core is injected once per document and run in place: @axe-core/playwright opens a page of its own
 * for every analysis and injects axe into both, ten times slower (6.4 s against 0.5 s a page, measured).
 */
export async function seriousViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: typeof import("axe-core") }).axe;
    const { violations } = await axe.run(document, { resultTypes: ["violations"] });
    return violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map(
        (v) =>
          `${v.id} (${v.impact}): ${v.nodes
            .slice(0, 3)
            .map((n) => n.target.join(" "))
            .join(" | ")}`,
      );
  });
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
    ...QUARANTINE_REASON_VALUES,
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
