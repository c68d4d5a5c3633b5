import type { Config } from "@pris/config";
import { checkPassword, loadPasswordEstimator, type PasswordContext } from "@pris/domain";
import { ValidationError } from "../errors.ts";

/**
 * Refuses a password the policy does not accept, before anything is hashed or written: 400 naming the
 * field, with the policy's French reasons (the pages show them as they are).
 */
export async function enforcePasswordPolicy(
  config: Pick<Config, "REGION_NAME" | "REGION_CODE">,
  password: string,
  person: Pick<PasswordContext, "email" | "displayName">,
  field = "/password",
): Promise<void> {
  const verdict = checkPassword(await loadPasswordEstimator(), password, {
    ...person,
    regionName: config.REGION_NAME,
    regionCode: config.REGION_CODE,
  });
  if (verdict.acceptable) return;
  throw new ValidationError(
    [{ field, message: [...verdict.problems, ...verdict.suggestions].join(" ") }],
    `Mot de passe refusé : ${verdict.problems.join(" ")}`,
  );
}
