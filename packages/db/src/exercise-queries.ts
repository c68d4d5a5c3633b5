import type { ObligationRule } from "@pris/domain";
import { type SQL, sql } from "drizzle-orm";

/**
 * The domain's isSubject() as a predicate on an establishments row (`e` by default): the same rule in
 * SQL, for the aggregates and the reminders. `year` is a number or an SQL integer expression.
 */
export function subjectSql(rule: ObligationRule, year: SQL | number, alias = sql`e`): SQL {
  return sql`${subjectKindSql(rule, alias)} AND ${inRegistrySql(year, alias)}`;
}

/** The part of the rule that does not depend on the year: category and size. */
export function subjectKindSql(rule: ObligationRule, alias = sql`e`): SQL {
  return sql`${alias}.category = ANY(${sql.param([...rule.categories])}::text[])
    ${rule.smallStructures === "exempt" ? sql`AND NOT ${alias}.small_structure` : sql``}`;
}

/** The part that does: in the registry by 30 June of the year and still at its end. */
export function inRegistrySql(year: SQL | number, alias = sql`e`): SQL {
  const y = typeof year === "number" ? sql`${year}::int` : year;
  return sql`(${alias}.active_from IS NULL OR ${alias}.active_from <= make_date(${y}, 6, 30))
    AND (${alias}.active_until IS NULL OR ${alias}.active_until >= make_date(${y}, 12, 31))`;
}
