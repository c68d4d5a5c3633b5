import Type from "typebox";

export const UuidSchema = Type.String({ format: "uuid", description: "UUIDv7 identifier" });
export const DateTimeSchema = Type.String({
  format: "date-time",
  description: "RFC 3339 date-time; stored in UTC",
});
/** A calendar day in the region's zone. */
export const DaySchema = Type.String({
  format: "date",
  description: "A calendar day in the region (YYYY-MM-DD)",
});
/** Free text that must say something. */
export const Text = (maxLength: number, description?: string) =>
  Type.String({ minLength: 1, maxLength, ...(description ? { description } : {}) });
export const EmailSchema = Type.String({ format: "email", maxLength: 254 });
export const PhoneSchema = Type.String({
  minLength: 6,
  maxLength: 30,
  pattern: "^\\+?[0-9 ().-]{6,30}$",
  description: "Phone number: digits, spaces, dots, dashes, parentheses, optional leading +",
});
/**
 * A phone number as a tel: URI (RFC 3966), for a link a phone dials: "+262 (0)262 12 34 56" becomes
 * "tel:+262262123456", "0262 12.34.56" becomes "tel:0262123456".
 */
export function telUri(phone: string): string {
  return `tel:${phone.replace(/\(0\)/g, "").replace(/[^+0-9]/g, "")}`;
}
export const IdParamsSchema = Type.Object({ id: UuidSchema }, { additionalProperties: false });

export const PageQuerySchema = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 100, default: 20, description: "Items per page" }),
  ),
  cursor: Type.Optional(
    Type.String({ maxLength: 200, description: "Opaque cursor from the previous page's nextCursor" }),
  ),
};

/** Enumerations as JSON Schema `enum` (clear validation messages listing the allowed values). */
export function Enum<const T extends readonly string[]>(
  values: T,
  options: Type.TSchemaOptions = {},
): Type.TEnum<[...T]> {
  return Type.Enum<[...T]>(values as unknown as [...T], options);
}

/**
 * A value or null. A schema with one `type` becomes `type: [that, "null"]` rather than an anyOf:
 * a wrong value gets one clear error ("must be string,null") instead of one per branch, and the
 * response serializer writes it about twice as fast (an anyOf is tried branch by branch).
 */
export function Nullable<T extends Type.TSchema>(
  schema: T,
  options: Type.TSchemaOptions = {},
): Type.TUnsafe<Type.Static<T> | null> {
  const {
    type,
    enum: values,
    const: constant,
  } = schema as { type?: unknown; enum?: unknown[]; const?: unknown };
  if (typeof type !== "string" || constant !== undefined) {
    return Type.Unsafe<Type.Static<T> | null>(Type.Union([schema, Type.Null()], options));
  }
  return Type.Unsafe<Type.Static<T> | null>({
    ...schema,
    ...options,
    type: [type, "null"],
    ...(values ? { enum: [...values, null] } : {}),
  });
}
