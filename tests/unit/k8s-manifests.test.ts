// The Kubernetes manifests of infra/k8s, checked without a cluster: every document against the Kubernetes
// and CloudNativePG schemas (kubernetes-models, @kubernetes-models/cloudnative-pg), each kustomization
// built the way kustomize builds these (resources, strategic-merge patches, namespace, images) and the
// result validated again, then the invariants the README promises.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Cluster, ScheduledBackup } from "@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1";
import { ConfigSchema } from "@pris/config";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Job } from "kubernetes-models/batch/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Namespace, PersistentVolumeClaim, Service, ServiceAccount } from "kubernetes-models/v1";
import { describe, expect, test } from "vitest";
import { parseAllDocuments } from "yaml";
import { TEST_CLAMD_LIMITS } from "../support/clamd.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const k8sDir = join(root, "infra/k8s");

type Doc = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
};
type Validated = new (data: never) => { validate(): void };

/** Every kind the manifests may use, by `apiVersion/kind`, with the model that validates it. */
const MODELS: Record<string, Validated> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Namespace": Namespace,
  "v1/PersistentVolumeClaim": PersistentVolumeClaim,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "apps/v1/Deployment": Deployment,
  "batch/v1/Job": Job,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "postgresql.cnpg.io/v1/Cluster": Cluster,
  "postgresql.cnpg.io/v1/ScheduledBackup": ScheduledBackup,
};

/**
 * Custom resources no schema package on the registries describes (the OT-Container-Kit redis-operator):
 * only the fields PRIS relies on are checked here; infra/k8s/README.md says so.
 */
const UNSCHEMAED: Record<string, (doc: Doc) => void> = {
  "redis.redis.opstreelabs.in/v1beta2/RedisReplication": (doc) => {
    const spec = doc.spec as Record<string, Record<string, unknown>>;
    expect(spec.clusterSize).toBeGreaterThanOrEqual(3);
    expect(spec.kubernetesConfig?.image).toMatch(/^quay\.io\/opstree\/redis:/);
    expect(spec.kubernetesConfig?.redisSecret).toMatchObject({
      name: expect.any(String),
      key: expect.any(String),
    });
    expect(spec.kubernetesConfig?.resources).toBeDefined();
  },
  "redis.redis.opstreelabs.in/v1beta2/RedisSentinel": (doc) => {
    const spec = doc.spec as Record<string, Record<string, unknown>>;
    expect(spec.clusterSize).toBeGreaterThanOrEqual(3);
    expect(spec.kubernetesConfig?.image).toMatch(/^quay\.io\/opstree\/redis-sentinel:/);
    expect(spec.redisSentinelConfig?.redisReplicationName).toEqual(expect.any(String));
    expect(spec.kubernetesConfig?.resources).toBeDefined();
  },
};

const typeOf = (doc: Doc) => `${doc.apiVersion}/${doc.kind}`;

/** Validates one document against its schema; throws on a bad document or a kind nobody validates. */
function validate(doc: Doc): void {
  const Model = MODELS[typeOf(doc)];
  if (Model) {
    new Model(doc as never).validate();
    return;
  }
  const check = UNSCHEMAED[typeOf(doc)];
  if (!check) throw new Error(`${typeOf(doc)} (${doc.metadata?.name}): no schema to validate it against`);
  check(doc);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function readDocs(file: string): Doc[] {
  return parseAllDocuments(readFileSync(file, "utf8")).flatMap((parsed) => {
    if (parsed.errors.length > 0) throw new Error(`${file}: ${parsed.errors[0]?.message}`);
    const value = parsed.toJS() as unknown;
    return value === null ? [] : [value as Doc];
  });
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

const deletes = (value: unknown) => isObject(value) && value.$patch === "delete";

/**
 * Strategic merge as kustomize does it for these patches: maps merged, lists of named items by name, and
 * an item carrying `$patch: delete` removed.
 */
function merge(target: unknown, patch: unknown): unknown {
  if (Array.isArray(target) && Array.isArray(patch)) {
    const named = (list: unknown[]) => list.every((item) => isObject(item) && typeof item.name === "string");
    if (!named(target) || !named(patch)) return patch;
    const byName = (list: unknown[], name: unknown) =>
      list.find((item) => isObject(item) && item.name === name);
    const merged = target.flatMap((item) => {
      const over = byName(patch, (item as { name: string }).name);
      if (over === undefined) return [item];
      return deletes(over) ? [] : [merge(item, over)];
    });
    return [
      ...merged,
      ...patch.filter(
        (item) => !deletes(item) && byName(target, (item as { name: string }).name) === undefined,
      ),
    ];
  }
  if (isObject(target) && isObject(patch)) {
    const merged: Record<string, unknown> = { ...target };
    for (const [key, value] of Object.entries(patch))
      merged[key] = key in target ? merge(target[key], value) : value;
    return merged;
  }
  return patch;
}

type Kustomization = {
  resources?: string[];
  configMapGenerator?: { name: string; files?: string[]; options?: { disableNameSuffixHash?: boolean } }[];
  patches?: { path: string }[];
  namespace?: string;
  images?: { name: string; newName?: string; newTag?: string }[];
};

/** Every file a kustomization names, for the check that none is missing or left out. */
const referenced = new Set<string>();

function build(dir: string): Doc[] {
  const file = join(dir, "kustomization.yaml");
  expect(existsSync(file), `${relative(root, dir)} has a kustomization.yaml`).toBe(true);
  referenced.add(file);
  const kustomization = readDocs(file)[0] as unknown as Kustomization;
  let docs = (kustomization.resources ?? []).flatMap((entry) => {
    const path = resolve(dir, entry);
    expect(existsSync(path), `${relative(root, file)} names ${entry}, which exists`).toBe(true);
    if (statSync(path).isDirectory()) return build(path);
    referenced.add(path);
    return readDocs(path);
  });
  for (const generator of kustomization.configMapGenerator ?? []) {
    // With a hash suffix, kustomize would also rename every reference to the map: not built here.
    expect(generator.options?.disableNameSuffixHash, `${generator.name} keeps its name`).toBe(true);
    const data = (generator.files ?? []).map((entry) => {
      const [key, source] = entry.includes("=") ? entry.split("=", 2) : [basename(entry), entry];
      const path = resolve(dir, source!);
      expect(existsSync(path), `${relative(root, file)} names ${source}, which exists`).toBe(true);
      referenced.add(path);
      return [key, readFileSync(path, "utf8")];
    });
    docs.push({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: generator.name },
      data: Object.fromEntries(data),
    } as Doc);
  }
  for (const { path: entry } of kustomization.patches ?? []) {
    const path = resolve(dir, entry);
    expect(existsSync(path), `${relative(root, file)} names the patch ${entry}, which exists`).toBe(true);
    referenced.add(path);
    for (const patch of readDocs(path)) {
      const matches = docs.filter(
        (doc) => typeOf(doc) === typeOf(patch) && doc.metadata.name === patch.metadata.name,
      );
      expect(
        matches,
        `${entry} patches ${typeOf(patch)} ${patch.metadata.name}, which the base has`,
      ).toHaveLength(1);
      docs = deletes(patch)
        ? docs.filter((doc) => !matches.includes(doc))
        : docs.map((doc) => (matches.includes(doc) ? (merge(doc, patch) as Doc) : doc));
    }
  }
  if (kustomization.namespace) {
    const namespace = kustomization.namespace;
    docs = docs.map((doc) =>
      doc.kind === "Namespace" ? doc : { ...doc, metadata: { ...doc.metadata, namespace } },
    );
  }
  for (const image of kustomization.images ?? []) {
    for (const container of docs.flatMap(containersOf)) {
      if (container.image === image.name)
        container.image = `${image.newName ?? image.name}${image.newTag ? `:${image.newTag}` : ""}`;
    }
  }
  return docs;
}

type Container = {
  name: string;
  image?: string;
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string }[];
  livenessProbe?: { httpGet?: { path: string } };
  readinessProbe?: { httpGet?: { path: string } };
};
type PodSpec = {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: Record<string, unknown>;
  volumes?: { name: string; emptyDir?: unknown; persistentVolumeClaim?: { claimName: string } }[];
};

function podSpecOf(doc: Doc): PodSpec | undefined {
  const spec = doc.spec as { template?: { spec?: PodSpec } } | undefined;
  return ["Deployment", "StatefulSet", "DaemonSet", "Job"].includes(doc.kind)
    ? spec?.template?.spec
    : undefined;
}

function containersOf(doc: Doc): Container[] {
  const pod = podSpecOf(doc);
  return pod ? [...pod.containers, ...(pod.initContainers ?? [])] : [];
}

/** Names of the Secrets a document refers to, wherever Kubernetes or the operators take one. */
function secretNames(value: unknown, key = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => secretNames(item, key));
  if (!isObject(value)) return [];
  const own: string[] = [];
  if (["secretKeyRef", "secretRef", "redisSecret", "accessKeyId", "secretAccessKey"].includes(key))
    own.push(String(value.name));
  if (key === "secret" && typeof value.secretName === "string") own.push(value.secretName);
  return [...own, ...Object.entries(value).flatMap(([child, item]) => secretNames(item, child))];
}

const base = build(join(k8sDir, "base"));
const production = build(join(k8sDir, "overlays/production"));
const examples = yamlFiles(join(k8sDir, "examples")).flatMap(readDocs);
const builds = { base, production };
const readme = readFileSync(join(k8sDir, "README.md"), "utf8");
const settings = new Set(Object.keys(ConfigSchema.properties));

describe("Kubernetes manifests (infra/k8s)", () => {
  test.each(Object.entries(builds))("every document of the %s build passes its schema", (_, docs) => {
    expect(docs.length).toBeGreaterThan(10);
    for (const doc of docs) expect(() => validate(doc), `${typeOf(doc)} ${doc.metadata.name}`).not.toThrow();
  });

  test("the examples pass their schema too", () => {
    expect(examples.map((doc) => doc.kind)).toContain("Cluster");
    for (const doc of examples) expect(() => validate(doc), doc.metadata.name).not.toThrow();
  });

  test("every YAML file is named by a kustomization, or is an example", () => {
    const stray = yamlFiles(k8sDir).filter(
      (file) => !referenced.has(file) && !file.startsWith(join(k8sDir, "examples")),
    );
    expect(stray.map((file) => relative(root, file))).toEqual([]);
  });

  test("the validator refuses broken documents and unknown kinds", () => {
    const api = base.find((doc) => doc.kind === "Deployment" && doc.metadata.name === "pris-api") as Doc;
    const broken = structuredClone(api) as Doc & { spec: Record<string, unknown> };
    broken.spec.replicas = "three";
    expect(() => validate(broken)).toThrow(/replicas/);
    const noImage = structuredClone(api) as Doc & { spec: { template: { spec: { containers: unknown[] } } } };
    noImage.spec.template.spec.containers = [{ image: "pris-app" }];
    expect(() => validate(noImage)).toThrow(/name/);
    const cluster = structuredClone(base.find((doc) => doc.kind === "Cluster")) as Doc & {
      spec: Record<string, unknown>;
    };
    cluster.spec.instances = 0;
    expect(() => validate(cluster)).toThrow(/instances/);
    expect(() => validate({ ...api, kind: "Deploymnet" })).toThrow(/no schema/);
  });

  test.each(Object.entries(builds))(
    "%s: every container runs non-root, read-only, with resources",
    (_, docs) => {
      const workloads = docs.filter(podSpecOf);
      expect(workloads.map((doc) => doc.metadata.name).sort()).toEqual([
        "pris-api",
        "pris-clamd",
        "pris-migrate",
        "pris-worker",
      ]);
      for (const doc of workloads) {
        const pod = podSpecOf(doc) as PodSpec;
        for (const container of containersOf(doc)) {
          const where = `${doc.metadata.name}/${container.name}`;
          expect(container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, where).toBe(
            true,
          );
          expect(container.securityContext?.readOnlyRootFilesystem, where).toBe(true);
          expect(container.securityContext?.allowPrivilegeEscalation, where).toBe(false);
          expect(container.resources?.requests?.cpu, where).toBeDefined();
          expect(container.resources?.requests?.memory, where).toBeDefined();
          expect(container.resources?.limits?.memory, where).toBeDefined();
          // tsx writes its cache under /tmp: a writable emptyDir there.
          const tmp = container.volumeMounts?.find((mount) => mount.mountPath === "/tmp");
          expect(tmp, where).toBeDefined();
          expect(pod.volumes?.find((volume) => volume.name === tmp?.name)?.emptyDir, where).toBeDefined();
        }
      }
    },
  );

  test("the API is probed on its health endpoints, which the API serves", () => {
    const routes = readFileSync(join(root, "services/api/src/modules/system/system-routes.ts"), "utf8");
    const api = containersOf(
      production.find((doc) => doc.metadata.name === "pris-api") as Doc,
    )[0] as Container;
    expect(api.livenessProbe?.httpGet?.path).toBe("/health/live");
    expect(api.readinessProbe?.httpGet?.path).toBe("/health/ready");
    for (const path of ["/health/live", "/health/ready"]) expect(routes).toContain(`"${path}"`);
  });

  test("no Secret is committed; every Secret referred to is documented in infra/k8s/README.md", () => {
    const all = [...base, ...production, ...examples];
    expect(all.filter((doc) => doc.kind === "Secret").map((doc) => doc.metadata.name)).toEqual([]);
    const names = new Set(all.flatMap((doc) => secretNames(doc)));
    expect([...names].sort()).toEqual([
      "pris-app",
      "pris-backup-s3",
      "pris-db-app",
      "pris-evidence-s3",
      "pris-redis-auth",
    ]);
    for (const name of names) expect(readme, name).toContain(`\`${name}\``);
  });

  test("every environment variable the manifests set is a setting of @pris/config", () => {
    // Node's own and the AWS SDK's (the evidence bucket's credentials), not PRIS's.
    const runtime = new Set(["NODE_OPTIONS", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
    for (const doc of [...base, ...production]) {
      if (doc.kind === "ConfigMap" && doc.metadata.name === "pris-settings")
        for (const key of Object.keys(doc.data as object)) expect(settings, key).toContain(key);
      for (const container of containersOf(doc)) {
        // A variable that only builds another one ($(DB_PASSWORD) in DATABASE_READ_URL) is no setting.
        const composed = (container.env ?? []).map((e) => e.value ?? "").join(" ");
        for (const { name } of container.env ?? [])
          if (!runtime.has(name) && !composed.includes(`$(${name})`))
            expect(settings, `${doc.metadata.name}: ${name}`).toContain(name);
      }
    }
  });

  test("names between documents agree", () => {
    const has = (kind: string, name: string) =>
      production.some((doc) => doc.kind === kind && doc.metadata.name === name);
    for (const doc of production) {
      for (const container of containersOf(doc))
        for (const from of container.envFrom ?? [])
          if (from.configMapRef)
            expect(has("ConfigMap", from.configMapRef.name), from.configMapRef.name).toBe(true);
      if (doc.kind === "HorizontalPodAutoscaler") {
        const target = (doc.spec as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
        expect(has(target.kind, target.name), target.name).toBe(true);
      }
      if (doc.kind === "PodDisruptionBudget") {
        const selector = (doc.spec as { selector: { matchLabels: Record<string, string> } }).selector
          .matchLabels;
        const selected = production.filter((each) => {
          const labels = (each.spec as { template?: { metadata?: { labels?: Record<string, string> } } })
            ?.template?.metadata?.labels;
          return each.kind === "Deployment" && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
        });
        expect(selected, doc.metadata.name).toHaveLength(1);
      }
      if (doc.kind === "ScheduledBackup")
        expect(has("Cluster", (doc.spec as { cluster: { name: string } }).cluster.name)).toBe(true);
    }
    const replicationName = production.find((doc) => doc.kind === "RedisSentinel")?.spec as {
      redisSentinelConfig: { redisReplicationName: string };
    };
    expect(has("RedisReplication", replicationName.redisSentinelConfig.redisReplicationName)).toBe(true);
  });

  test("a default-deny NetworkPolicy covers every PRIS pod, in and out", () => {
    type Policy = { podSelector: { matchLabels?: Record<string, string> }; policyTypes: string[] } & Record<
      string,
      unknown
    >;
    const denials = production
      .filter((doc) => doc.kind === "NetworkPolicy")
      .map((doc) => doc.spec as Policy)
      .filter((spec) => spec.policyTypes.includes("Ingress") && spec.policyTypes.includes("Egress"))
      .filter((spec) => spec.ingress === undefined && spec.egress === undefined);
    for (const doc of production.filter(podSpecOf)) {
      const labels = (doc.spec as { template: { metadata: { labels: Record<string, string> } } }).template
        .metadata.labels;
      const covered = denials.some((spec) =>
        Object.entries(spec.podSelector.matchLabels ?? {}).every(([key, value]) => labels[key] === value),
      );
      expect(covered, doc.metadata.name).toBe(true);
    }
  });

  test("production: namespaced, pinned image, three PostgreSQL instances with continuous backup", () => {
    expect(production.every((doc) => doc.kind === "Namespace" || doc.metadata.namespace === "pris")).toBe(
      true,
    );
    for (const container of production.flatMap(containersOf))
      expect(container.image).toMatch(/^([^:]+\/pris-app|clamav\/clamav):\d[\w.-]*$/);
    const cluster = production.find((doc) => doc.kind === "Cluster") as Doc & {
      spec: { instances: number; backup: { barmanObjectStore: { destinationPath: string } } };
    };
    expect(cluster.spec.instances).toBe(3);
    expect(cluster.spec.backup.barmanObjectStore.destinationPath).toMatch(/^s3:\/\//);
    const hpa = production.find((doc) => doc.kind === "HorizontalPodAutoscaler")?.spec as {
      minReplicas: number;
      maxReplicas: number;
    };
    expect(hpa).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
  });

  test("evidence files: API and worker share one store and one clamd, whose limits quarantine zip bombs", () => {
    const settingsOf = (docs: Doc[]) =>
      (
        docs.find((doc) => doc.kind === "ConfigMap" && doc.metadata.name === "pris-settings") as Doc & {
          data: Record<string, string>;
        }
      ).data;
    const deployment = (docs: Doc[], name: string) => docs.find((doc) => doc.metadata.name === name) as Doc;
    // Base: one ReadWriteMany claim mounted at EVIDENCE_DIR by both.
    const claim = base.find((doc) => doc.kind === "PersistentVolumeClaim") as Doc & {
      spec: { accessModes: string[] };
    };
    expect(claim.spec.accessModes).toEqual(["ReadWriteMany"]);
    for (const name of ["pris-api", "pris-worker"]) {
      const pod = podSpecOf(deployment(base, name)) as PodSpec;
      const volume = pod.volumes?.find((v) => v.persistentVolumeClaim?.claimName === claim.metadata.name);
      expect(volume, name).toBeDefined();
      const mount = pod.containers[0]?.volumeMounts?.find((m) => m.name === volume?.name);
      expect(mount?.mountPath, name).toBe(settingsOf(base).EVIDENCE_DIR);
    }
    // Production: a bucket, its credentials from a Secret, and no claim left behind.
    expect(settingsOf(production).EVIDENCE_S3_BUCKET).toMatch(/\w/);
    expect(production.some((doc) => doc.kind === "PersistentVolumeClaim")).toBe(false);
    for (const name of ["pris-api", "pris-worker"]) {
      const pod = podSpecOf(deployment(production, name)) as PodSpec;
      expect(
        pod.volumes?.some((v) => v.persistentVolumeClaim),
        name,
      ).toBe(false);
      expect(
        pod.containers[0]?.volumeMounts?.some((m) => m.name === "evidence"),
        name,
      ).toBe(false);
      const env = pod.containers[0]?.env?.map((e) => e.name);
      expect(env, name).toEqual(expect.arrayContaining(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]));
    }

    // clamd: the Service the settings name, on the port they name, with limits that fit them.
    const settingsMap = settingsOf(production);
    const service = production.find(
      (doc) => doc.kind === "Service" && doc.metadata.name === settingsMap.CLAMD_HOST,
    );
    expect((service as Doc & { spec: { ports: { port: number }[] } }).spec.ports[0]?.port).toBe(
      Number(settingsMap.CLAMD_PORT),
    );
    const conf = (
      production.find((doc) => doc.metadata.name === "pris-clamd-config") as Doc & {
        data: Record<string, string>;
      }
    ).data["clamd.conf"] as string;
    const option = (name: string) => new RegExp(`^${name} (\\S+)$`, "m").exec(conf)?.[1];
    const bytes = (size = "") => {
      const [, n, unit] = /^(\d+)([KM]?)$/i.exec(size) ?? [];
      return Number(n) * (unit?.toUpperCase() === "M" ? 1024 ** 2 : unit?.toUpperCase() === "K" ? 1024 : 1);
    };
    expect(option("TCPSocket")).toBe(settingsMap.CLAMD_PORT);
    expect(option("AlertExceedsMax")).toBe("yes");
    expect(option("DisableCache")).toBe("yes");
    expect(bytes(option("StreamMaxLength"))).toBeGreaterThanOrEqual(Number(settingsMap.EVIDENCE_MAX_BYTES));
    expect(bytes(option("MaxFileSize"))).toBeGreaterThanOrEqual(Number(settingsMap.EVIDENCE_MAX_BYTES));
    expect(bytes(option("MaxScanSize"))).toBeGreaterThan(bytes(option("MaxFileSize")));
    expect(Number(option("MaxScanTime"))).toBeLessThan(Number(settingsMap.CLAMD_TIMEOUT_MS));
    // The tests' clamd counts archives the same way (only its sizes differ).
    expect(Number(option("MaxRecursion"))).toBe(TEST_CLAMD_LIMITS.maxRecursion);
    expect(Number(option("MaxFiles"))).toBe(TEST_CLAMD_LIMITS.maxFiles);
    // Only the API and the worker reach it.
    const ingress = production.find((doc) => doc.metadata.name === "pris-clamd-ingress")?.spec as {
      ingress: { from: { podSelector: { matchExpressions: { values: string[] }[] } }[] }[];
    };
    expect(ingress.ingress[0]?.from[0]?.podSelector.matchExpressions[0]?.values).toEqual(["api", "worker"]);
  });
});
