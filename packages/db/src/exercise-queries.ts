import type { ObligationRule } from "@pris/domain";
import { type SQL, sql } from "drizzle-orm";

/**
 * The domain's isSubject() as a predicate on an establishments row (`e` by default): the same rule in
 * SQL, for the aggregates and the reminders. `year` is a number or an SQL integer expression.
 */
export function subjectSql(rule: ObligationRule, year: SQL | number, alias = sql`e`): SQL {
  const y = typeof year === "number" ? sql`${year}::int` : year;
  return sql`${alias}.category = ANY(${sql.param([...rule.categories])}::text[])
    ${rule.smallStructures === "exempt" ? sql`AND NOT ${alias}.small_structure` : sql``}
    AND (${alias}.active_from IS NULL OR ${alias}.active_from <= make_date(${y}, 6, 30))
    AND (${alias}.active_until IS NULL OR ${alias}.active_until >= make_date(${y}, 12, 31))`;
}
