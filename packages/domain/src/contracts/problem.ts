import Type, { type Static } from "typebox";

export const FieldErrorSchema = Type.Object({
  field: Type.String({ description: "JSON pointer of the field in the request, e.g. /declarant/phone" }),
  message: Type.String(),
  in: Type.Optional(
    Type.Enum(["body", "query", "params", "headers"], {
      description: "Part of the request; body when absent",
    }),
  ),
});

/** RFC 9457 problem details, with a stable machine code and the request id. */
export const ProblemSchema = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  code: Type.String({ description: "Stable machine-readable code, e.g. validation_failed" }),
  detail: Type.Optional(Type.String()),
  instance: Type.Optional(Type.String()),
  requestId: Type.String(),
  errors: Type.Optional(Type.Array(FieldErrorSchema)),
  allowed: Type.Optional(
    Type.Array(Type.String(), { description: "What is allowed instead, when relevant" }),
  ),
});
export type Problem = Static<typeof ProblemSchema>;
export type FieldError = Static<typeof FieldErrorSchema>;
