import type { FieldError } from "@pris/domain";

/** A failure the client can act on: mapped to one problem+json shape by the error handler. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly extra: { errors?: FieldError[]; allowed?: string[] } = {},
  ) {
    super(detail ?? title);
    this.name = "AppError";
  }
}

export class ValidationError extends AppError {
  constructor(errors: FieldError[], detail = "The request has invalid fields") {
    super(400, "validation_failed", "Invalid request", detail, { errors });
  }
}

/** Same answer whether the thing does not exist or is outside the caller's scope. */
export class NotFoundError extends AppError {
  constructor(what = "Resource") {
    super(404, "not_found", "Not found", `${what} not found`);
  }
}

export class UnauthorizedError extends AppError {
  constructor(detail = "Authentication required", code = "unauthenticated") {
    super(401, code, "Unauthorized", detail);
  }
}

/** Too many failed guesses (sign-in, e-mailed link): the answer carries Retry-After. */
export class TooManyAttemptsError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(
      429,
      "too_many_attempts",
      "Too many requests",
      "Too many failed attempts; wait before trying again",
    );
  }
}

export class ForbiddenError extends AppError {
  constructor(detail = "Your role does not allow this action") {
    super(403, "forbidden", "Forbidden", detail);
  }
}

export class ConflictError extends AppError {
  constructor(code: string, detail: string, extra: { errors?: FieldError[]; allowed?: string[] } = {}) {
    super(409, code, "Conflict", detail, extra);
  }
}

/** The lifecycle's state machine forbids this action now; `allowed` names what it permits. */
export class TransitionNotAllowedError extends ConflictError {
  constructor(status: string, action: string, allowed: string[]) {
    super(
      "transition_not_allowed",
      `The action '${action}' is not allowed while the incident is '${status}'`,
      {
        allowed,
      },
    );
  }
}
