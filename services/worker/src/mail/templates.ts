import { readFileSync } from "node:fs";
import Handlebars from "handlebars";

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Templates live beside this file as `<name>.subject.hbs`, `<name>.text.hbs` and `<name>.html.hbs`. */
export const TEMPLATE_NAMES = ["incident-declared"] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

// An environment of our own: no helper or partial registered elsewhere can change what we send.
const handlebars = Handlebars.create();

function load(name: string, part: "subject" | "text" | "html"): string {
  return readFileSync(new URL(`./templates/${name}.${part}.hbs`, import.meta.url), "utf8");
}

/**
 * The HTML part is auto-escaped; subject and text are plain text and must not be HTML-escaped.
 * Strict mode turns a field missing from the view into an error instead of an empty line.
 */
function compile<V extends object>(name: TemplateName) {
  const subject = handlebars.compile<V>(load(name, "subject"), { noEscape: true, strict: true });
  const text = handlebars.compile<V>(load(name, "text"), { noEscape: true, strict: true });
  const html = handlebars.compile<V & { subject: string }>(load(name, "html"), { strict: true });
  return (view: V): RenderedMail => {
    // One line, whatever a field holds: a subject never carries a line break.
    const renderedSubject = subject(view).replace(/\s+/g, " ").trim();
    return { subject: renderedSubject, text: text(view), html: html({ ...view, subject: renderedSubject }) };
  };
}

export interface IncidentDeclaredView {
  tlpTag: string;
  tlpDescription: string;
  tlpColor: string;
  reference: string;
  establishmentName: string;
  severity: string;
  severityLabel: string;
  majorIncident: boolean;
  impactGrade: number;
  impactLabel: string;
  declaredAt: string;
  regionName: string;
  link: string;
  /** Null when the TLP keeps the declaration's content out of e-mail. */
  title: string | null;
}

export const renderIncidentDeclared = compile<IncidentDeclaredView>("incident-declared");
