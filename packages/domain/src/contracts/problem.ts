import Type, { type Static } from "typebox";

export const FieldErrorSchema = Type.Object(
  {
    field: Type.String({ description: "JSON pointer of the field in the request, e.g. /declarant/phone" }),
    message: Type.String({ description: "Why the field is refused, in English" }),
    in: Type.Optional(
      Type.Enum(["body", "query", "params", "headers"], {
        description: "Part of the request; body when absent",
      }),
    ),
  },
  { description: "One refused field of the request, and why" },
);

/** RFC 9457 problem details, with a stable machine code and the request id. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: "URI naming the kind of problem; ends with the code" }),
    title: Type.String({ description: "Short summary of the status, e.g. Not found" }),
    status: Type.Integer({ description: "The HTTP status code, repeated" }),
    code: Type.String({ description: "Stable machine-readable code, e.g. validation_failed" }),
    detail: Type.Optional(Type.String({ description: "What went wrong with this request, in English" })),
    instance: Type.Optional(Type.String()),
    requestId: Type.String({
      description: "The request's id, also in the X-Request-Id header: quote it to the operators",
    }),
    errors: Type.Optional(Type.Array(FieldErrorSchema, { description: "Each refused field (400)" })),
    allowed: Type.Optional(
      Type.Array(Type.String(), { description: "What is allowed instead, when relevant" }),
    ),
  },
  {
    description:
      "An error, as RFC 9457 problem details (`application/problem+json`): branch on `code`, not on " +
      "`title` or `detail`.",
  },
);
export type Problem = Static<typeof ProblemSchema>;
export type FieldError = Static<typeof FieldErrorSchema>;
