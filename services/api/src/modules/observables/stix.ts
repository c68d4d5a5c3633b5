import type { ObservableType, StixBundle, Tlp } from "@pris/domain";
import canonicalize from "canonicalize";
import { v5 as uuidv5 } from "uuid";

/** STIX 2.1 §2.9: the namespace of deterministic identifiers of cyber-observable objects. */
const SCO_NAMESPACE = "00abedb4-aa42-466c-9c01-fed23315a9b7";
/** Our own namespace for the objects we describe (indicators, observed data, the pole's identity). */
const PRIS_NAMESPACE = uuidv5("https://pris.sante.fr/stix", uuidv5.URL);

const TLP_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/** The official TLP 2.0 marking definitions (OASIS cti-stix-common-objects), by label. */
export const TLP_MARKING_IDS: Record<Tlp, string> = {
  CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
  GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
  AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
  "AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
  RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
};

function tlpMarking(tlp: Tlp) {
  return {
    type: "marking-definition",
    spec_version: "2.1",
    id: TLP_MARKING_IDS[tlp],
    created: "2022-10-01T00:00:00.000Z",
    name: `TLP:${tlp}`,
    extensions: { [TLP_EXTENSION]: { extension_type: "property-extension", tlp_2_0: tlp.toLowerCase() } },
  };
}

type Sco = { type: string; [property: string]: unknown };

/** An SCO's id from its ID-contributing properties, as STIX 2.1 §2.9 says (UUIDv5 of their JCS form). */
function scoId(type: string, contributing: Record<string, unknown>): string {
  return `${type}--${uuidv5(canonicalize(contributing) ?? "", SCO_NAMESPACE)}`;
}

const HASH_NAMES = { md5: "MD5", sha1: "SHA-1", sha256: "SHA-256" } as const;

/** The cyber-observable object of an observable and the STIX pattern that detects it (none for a CVE). */
function describe(type: ObservableType, value: string): { sco: Sco; pattern: string } | undefined {
  const literal = `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  const simple = (scoType: string) => {
    const contributing = { value };
    return {
      sco: { type: scoType, spec_version: "2.1", id: scoId(scoType, contributing), ...contributing },
      pattern: `[${scoType}:value = ${literal}]`,
    };
  };
  switch (type) {
    case "ipv4":
      return simple("ipv4-addr");
    case "ipv6":
      return simple("ipv6-addr");
    case "cidr": {
      const described = simple(value.includes(":") ? "ipv6-addr" : "ipv4-addr");
      return { ...described, pattern: `[${described.sco.type}:value ISSUBSET ${literal}]` };
    }
    case "domain":
      return simple("domain-name");
    case "url":
      return simple("url");
    case "email":
      return simple("email-addr");
    case "md5":
    case "sha1":
    case "sha256": {
      const algorithm = HASH_NAMES[type];
      const contributing = { hashes: { [algorithm]: value } };
      const path = algorithm === "MD5" ? "MD5" : `'${algorithm}'`;
      return {
        sco: { type: "file", spec_version: "2.1", id: scoId("file", contributing), ...contributing },
        pattern: `[file:hashes.${path} = ${literal}]`,
      };
    }
    case "filename": {
      const contributing = { name: value };
      return {
        sco: { type: "file", spec_version: "2.1", id: scoId("file", contributing), ...contributing },
        pattern: `[file:name = ${literal}]`,
      };
    }
    case "cve":
      return undefined;
  }
}

export interface StixSource {
  incident: { id: string; reference: string; tlp: Tlp; detectedAt: Date };
  observables: { type: ObservableType; normalized: string; createdAt: Date }[];
  regionName: string;
}

const ISSUED = "2026-01-01T00:00:00.000Z";

/**
 * One incident's observables as a STIX 2.1 bundle: the pole's identity, the incident's TLP 2.0 marking,
 * one SCO per observable (a vulnerability for a CVE), an indicator with its pattern for each, and one
 * observed-data grouping the SCOs. Every id and time derives from the data, so the same incident gives
 * the same bundle.
 */
export function stixBundle(source: StixSource): StixBundle {
  const { incident } = source;
  const marking = tlpMarking(incident.tlp);
  const markingRefs = [marking.id];
  const identity = {
    type: "identity",
    spec_version: "2.1",
    id: `identity--${uuidv5(`identity|${source.regionName}`, PRIS_NAMESPACE)}`,
    created: ISSUED,
    modified: ISSUED,
    name: `PRIS — pôle régional de cybersécurité (${source.regionName})`,
    identity_class: "organization",
    sectors: ["healthcare"],
  };
  const common = (kind: string, key: string, at: Date) => ({
    type: kind,
    spec_version: "2.1",
    id: `${kind}--${uuidv5(`${kind}|${key}`, PRIS_NAMESPACE)}`,
    created: at.toISOString(),
    modified: at.toISOString(),
    created_by_ref: identity.id,
    object_marking_refs: markingRefs,
  });
  const source_ref = [{ source_name: "PRIS", external_id: incident.reference }];

  const scos = new Map<string, Sco>();
  const described: Record<string, unknown>[] = [];
  for (const o of source.observables) {
    if (o.type === "cve") {
      described.push({
        ...common("vulnerability", o.normalized, o.createdAt),
        name: o.normalized,
        external_references: [{ source_name: "cve", external_id: o.normalized }],
      });
      continue;
    }
    const d = describe(o.type, o.normalized);
    if (!d) continue;
    if (!scos.has(d.sco.id as string))
      scos.set(d.sco.id as string, { ...d.sco, object_marking_refs: markingRefs });
    described.push({
      ...common("indicator", `${incident.id}|${o.type}|${o.normalized}`, o.createdAt),
      name: o.normalized,
      indicator_types: ["malicious-activity"],
      pattern: d.pattern,
      pattern_type: "stix",
      pattern_version: "2.1",
      valid_from: o.createdAt.toISOString(),
      external_references: source_ref,
    });
  }

  const objects: Record<string, unknown>[] = [identity, marking, ...scos.values(), ...described];
  if (scos.size > 0) {
    const times = source.observables.map((o) => o.createdAt.getTime());
    const first = new Date(Math.min(...times));
    const last = new Date(Math.max(...times));
    objects.push({
      ...common("observed-data", incident.id, first),
      modified: last.toISOString(),
      first_observed: incident.detectedAt.toISOString(),
      last_observed: new Date(Math.max(last.getTime(), incident.detectedAt.getTime())).toISOString(),
      number_observed: 1,
      object_refs: [...scos.keys()],
      external_references: source_ref,
    });
  }
  const fingerprint = objects.map((o) => `${o.id}@${o.modified ?? ""}`).join(",");
  return { type: "bundle", id: `bundle--${uuidv5(fingerprint, PRIS_NAMESPACE)}`, objects };
}
