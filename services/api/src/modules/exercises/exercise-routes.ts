import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import {
  ActionCreateSchema,
  ActionPatchSchema,
  CompletionSchema,
  ExerciseCancelSchema,
  ExerciseCreateSchema,
  ExerciseHoldSchema,
  ExerciseListQuerySchema,
  ExercisePageSchema,
  ExerciseParticipantParamsSchema,
  ExerciseParticipantsAddSchema,
  ExercisePatchSchema,
  ExerciseSchema,
  FindingCreateSchema,
  IdParamsSchema,
  LatePageSchema,
  LateQuerySchema,
  ParticipationItemParamsSchema,
  ParticipationSchema,
  RecurringFindingsSchema,
  RetexPutSchema,
  RetexReturnSchema,
  RetexShareSchema,
  SharedRetexPageSchema,
  SharedRetexQuerySchema,
  YearQuerySchema,
} from "@pris/domain";
import Type from "typebox";
import { requireUser } from "../../auth/principal.ts";
import { problems } from "../../http.ts";
import { completionCsv, completionXlsx } from "./completion-export.ts";
import {
  completion,
  currentYear,
  lateEstablishments,
  recurringFindings,
  sharedRetex,
} from "./completion-service.ts";
import { EXERCISE_ROLES, obligationRule, REGIONAL_ROLES, VALIDATOR_ROLES } from "./exercise-scope.ts";
import {
  addAction,
  addFinding,
  addParticipants,
  cancelExercise,
  createExercise,
  deleteFinding,
  getExercise,
  getParticipation,
  holdExercise,
  listExercises,
  patchAction,
  patchExercise,
  putRetex,
  removeParticipant,
  returnRetex,
  shareRetex,
  submitRetex,
  validateRetex,
} from "./exercise-service.ts";

/**
 * Cyber-crisis exercises, their RETEX and the ARS's completion dashboard. RSSIs see and write their
 * establishments' (404 for anything else); the ARS and the pole see the region; others get 403.
 */
const exerciseRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app.database;
  // The completion dashboard and its exports read the replica when there is one (DATABASE_READ_URL).
  const readDb = app.readDatabase.db;
  const { config } = app;
  const settings = { timeZone: config.REGION_TIMEZONE, rule: obligationRule(config) };
  const tags = ["exercises"];
  const member = (request: { principal: Parameters<typeof requireUser>[0] }) =>
    requireUser(request.principal);
  const regional = (request: { principal: Parameters<typeof requireUser>[0] }) =>
    requireUser(request.principal);
  const yearOr = (year: number | undefined) => year ?? currentYear(config.REGION_TIMEZONE);

  app.get(
    "/exercises",
    {
      config: { access: EXERCISE_ROLES },
      schema: {
        tags,
        operationId: "listExercises",
        summary: "Exercises the caller takes part in (an RSSI) or of the region, newest planned first",
        description:
          "An RSSI sees the exercises their establishments take part in; the pole and the ARS see the " +
          "region's. Filtered by year, kind or establishment, newest planned first, paged with `cursor`.",
        querystring: ExerciseListQuerySchema,
        response: { 200: ExercisePageSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => listExercises(db, member(request), request.query),
  );

  app.post(
    "/exercises",
    {
      config: { access: EXERCISE_ROLES },
      schema: {
        tags,
        operationId: "createExercise",
        summary: "Plan an exercise for one or several establishments (regional: the ARS or the pole)",
        description:
          "Plans a continuity or crisis exercise for one or several establishments. An RSSI plans for " +
          "establishments of their scope; a regional exercise is planned by the ARS or the pole.",
        body: ExerciseCreateSchema,
        response: { 201: ExerciseSchema, ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => reply.code(201).send(await createExercise(db, member(request), request.body)),
  );

  app.get(
    "/exercises/:id",
    {
      config: { access: EXERCISE_ROLES },
      schema: {
        tags,
        operationId: "getExercise",
        summary:
          "An exercise with the participations the caller may see (the regional one: all, for the ARS)",
        description:
          "An exercise with the participations the caller may see: an RSSI their own establishments', the " +
          "ARS and the pole all of them.",
        params: IdParamsSchema,
        response: { 200: ExerciseSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => getExercise(db, member(request), request.params.id),
  );

  app.patch(
    "/exercises/:id",
    {
      config: { access: EXERCISE_ROLES },
      schema: {
        tags,
        operationId: "updateExercise",
        summary: "Change a planned exercise (its organiser)",
        description:
          "Changes a planned exercise's details (date, scenario, objectives…). Its organiser only; 409 " +
          "once it is no longer planned.",
        params: IdParamsSchema,
        body: ExercisePatchSchema,
        response: { 200: ExerciseSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => patchExercise(db, member(request), request.params.id, request.body),
  );

  app.post(
    "/exercises/:id/participations",
    {
      config: { access: EXERCISE_ROLES },
      schema: {
        tags,
        operationId: "addExerciseParticipants",
        summary:
          "Add establishments to an exercise not cancelled (an RSSI: of their scope; up to 5000 per request)",
        description:
          "Adds establishments to an exercise that is not cancelled; an RSSI may add only establishments " +
          "of their scope. Up to 5000 per request; establishments already taking part are skipped.",
        params: IdParamsSchema,
        body: ExerciseParticipantsAddSchema,
        response: { 200: ExerciseSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => addParticipants(db, member(request), request.params.id, request.body),
  );

  app.delete(
    "/exercises/:id/participations/:participationId",
    {
      config: { access: EXERCISE_ROLES },
      schema: {
        tags,
        operationId: "removeExerciseParticipant",
        summary: "Remove a participant whose RETEX is not submitted yet (never the last one)",
        description:
          "Removes a participating establishment whose RETEX is not submitted yet. The last participant " +
          "cannot be removed (409): cancel the exercise instead.",
        params: ExerciseParticipantParamsSchema,
        response: { 204: Type.Null(), ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await removeParticipant(db, member(request), request.params.id, request.params.participationId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    "/exercises/:id/hold",
    {
      config: { access: EXERCISE_ROLES },
      schema: {
        tags,
        operationId: "holdExercise",
        summary: "Record the exercise held on a day: every participant still planned has held it",
        description:
          "Records that the exercise was held on a given day: every participation still planned becomes " +
          "held, and its RETEX can be written.",
        params: IdParamsSchema,
        body: ExerciseHoldSchema,
        response: { 200: ExerciseSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      holdExercise(db, config.REGION_TIMEZONE, member(request), request.params.id, request.body.heldOn),
  );

  app.post(
    "/exercises/:id/cancel",
    {
      config: { access: EXERCISE_ROLES },
      schema: {
        tags,
        operationId: "cancelExercise",
        summary: "Cancel a planned exercise, with a reason (it never counts)",
        description:
          "Cancels a planned exercise with a reason; it never counts towards an establishment's yearly " +
          "completion.",
        params: IdParamsSchema,
        body: ExerciseCancelSchema,
        response: { 200: ExerciseSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => cancelExercise(db, member(request), request.params.id, request.body.reason),
  );

  app.get(
    "/participations/:id",
    {
      config: { access: EXERCISE_ROLES },
      schema: {
        tags,
        operationId: "getParticipation",
        summary: "One establishment's part in an exercise: its RETEX, findings and improvement actions",
        description:
          "One establishment's participation in an exercise: its status, hot and cold RETEX, findings and " +
          "improvement actions.",
        params: IdParamsSchema,
        response: { 200: ParticipationSchema, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => getParticipation(db, member(request), request.params.id),
  );

  app.put(
    "/participations/:id/retex",
    {
      config: { access: EXERCISE_ROLES },
      schema: {
        tags,
        operationId: "saveRetex",
        summary: "Save the hot and cold RETEX (while the exercise is held and the RETEX not submitted)",
        description:
          "Saves the participation's hot and cold RETEX (lessons learnt). Allowed once the exercise is " +
          "held and until the RETEX is submitted (409 otherwise).",
        params: IdParamsSchema,
        body: RetexPutSchema,
        response: { 200: ParticipationSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => putRetex(db, member(request), request.params.id, request.body),
  );

  app.post(
    "/participations/:id/findings",
    {
      config: { access: EXERCISE_ROLES },
      schema: {
        tags,
        operationId: "addRetexFinding",
        summary: "Add a finding (theme, positive or negative) to the RETEX",
        description:
          "Adds a finding to the RETEX: a theme, whether it went well or badly, and what was seen. Not " +
          "once the RETEX is submitted (409).",
        params: IdParamsSchema,
        body: FindingCreateSchema,
        response: { 201: ParticipationSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await addFinding(db, member(request), request.params.id, request.body)),
  );

  app.delete(
    "/participations/:id/findings/:itemId",
    {
      config: { access: EXERCISE_ROLES },
      schema: {
        tags,
        operationId: "deleteRetexFinding",
        summary: "Remove a finding from a RETEX not yet submitted",
        description:
          "Removes a finding from a RETEX that is not yet submitted; improvement actions linked to it are " +
          "kept, unlinked.",
        params: ParticipationItemParamsSchema,
        response: { 200: ParticipationSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => deleteFinding(db, member(request), request.params.id, request.params.itemId),
  );

  app.post(
    "/participations/:id/actions",
    {
      config: { access: EXERCISE_ROLES },
      schema: {
        tags,
        operationId: "addImprovementAction",
        summary: "Add an improvement action (owner, due date), linked to a finding or not",
        description:
          "Adds an improvement action with an owner and a due date, linked to one of the RETEX's findings " +
          "or not.",
        params: IdParamsSchema,
        body: ActionCreateSchema,
        response: { 201: ParticipationSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await addAction(db, member(request), request.params.id, request.body)),
  );

  app.patch(
    "/participations/:id/actions/:itemId",
    {
      config: { access: EXERCISE_ROLES },
      schema: {
        tags,
        operationId: "updateImprovementAction",
        summary: "Follow an improvement action: status, owner, due date",
        description:
          "Closing the last open action of a validated RETEX moves the participation to 'actions_closed'.",
        params: ParticipationItemParamsSchema,
        body: ActionPatchSchema,
        response: { 200: ParticipationSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      patchAction(db, member(request), request.params.id, request.params.itemId, request.body),
  );

  app.post(
    "/participations/:id/submit",
    {
      config: { access: EXERCISE_ROLES },
      schema: {
        tags,
        operationId: "submitRetex",
        summary: "Submit the RETEX to the ARS (a summary and at least one finding)",
        description:
          "Submits the RETEX to the ARS for validation. It needs a hot or cold summary and at least one " +
          "finding (409 `retex_incomplete`, its `errors` naming what is missing); it is read-only from then " +
          "on until returned.",
        params: IdParamsSchema,
        response: { 200: ParticipationSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => submitRetex(db, member(request), request.params.id),
  );

  app.post(
    "/participations/:id/validate",
    {
      config: { access: VALIDATOR_ROLES },
      schema: {
        tags,
        operationId: "validateRetex",
        summary: "Validate a submitted RETEX (the ARS); the establishment's RSSIs are e-mailed",
        description:
          "The ARS validates a submitted RETEX: the participation is validated and the establishment's " +
          "RSSIs are e-mailed.",
        params: IdParamsSchema,
        response: { 200: ParticipationSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => validateRetex(db, member(request), request.params.id),
  );

  app.post(
    "/participations/:id/return",
    {
      config: { access: VALIDATOR_ROLES },
      schema: {
        tags,
        operationId: "returnRetex",
        summary:
          "Send a submitted RETEX back to the establishment with a comment (the ARS); its RSSIs are e-mailed",
        description:
          "The ARS sends a submitted RETEX back to the establishment with a comment saying what to change; " +
          "its RSSIs are e-mailed and the RETEX can be edited again.",
        params: IdParamsSchema,
        body: RetexReturnSchema,
        response: { 200: ParticipationSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => returnRetex(db, member(request), request.params.id, request.body.comment),
  );

  app.put(
    "/participations/:id/share",
    {
      config: { access: ["rssi"] },
      schema: {
        tags,
        operationId: "shareRetex",
        summary: "Share a validated RETEX with the network under a TLP, anonymised unless named (its RSSI)",
        description:
          "The establishment's RSSI shares a validated RETEX with the network's RSSIs under a TLP label, " +
          "anonymised unless they choose to name the establishment.",
        params: IdParamsSchema,
        body: RetexShareSchema,
        response: { 200: ParticipationSchema, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => shareRetex(db, member(request), request.params.id, request.body),
  );

  app.get(
    "/retex/shared",
    {
      config: { access: EXERCISE_ROLES },
      schema: {
        tags,
        operationId: "listSharedRetex",
        summary: "RETEX shared with the network, newest first (anonymised unless the establishment agreed)",
        description:
          "The RETEX establishments shared with the network, newest first, read by RSSIs, the pole and the " +
          "ARS; filtered by year, theme, category, territory and `sharedSince`, paged with `cursor`; " +
          "anonymised unless the establishment agreed to be named.",
        querystring: SharedRetexQuerySchema,
        response: { 200: SharedRetexPageSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      member(request);
      return sharedRetex(db, request.query);
    },
  );

  app.get(
    "/exercises/findings",
    {
      config: { access: REGIONAL_ROLES },
      schema: {
        tags,
        operationId: "recurringFindings",
        summary: "The region's recurring findings of a year, per theme (the ARS and the pole)",
        description:
          "The findings that recur across the region's RETEX of a year, counted per theme, to steer the " +
          "next exercises. The ARS and the pole.",
        querystring: YearQuerySchema,
        response: { 200: RecurringFindingsSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      regional(request);
      return recurringFindings(db, yearOr(request.query.year));
    },
  );

  app.get(
    "/exercises/completion",
    {
      config: { access: REGIONAL_ROLES },
      schema: {
        tags,
        operationId: "exerciseCompletion",
        summary:
          "Completion of the yearly exercise per territory × category, and its trend (the ARS and the pole)",
        description:
          "rate = subject establishments with at least one held exercise in the calendar year (region's " +
          "zone) ÷ subject establishments. A pooled exercise counts for each participant; a cancelled one " +
          "never. Subject: EXERCISE_SUBJECT_CATEGORIES and EXERCISE_SMALL_STRUCTURES, in the registry by 30 " +
          "June and still at 31 December.",
        querystring: YearQuerySchema,
        response: { 200: CompletionSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      regional(request);
      return completion(readDb, settings, yearOr(request.query.year));
    },
  );

  app.get(
    "/exercises/completion/late",
    {
      config: { access: REGIONAL_ROLES, accessTrace: "exercise_completion" },
      schema: {
        tags,
        operationId: "lateEstablishments",
        summary: "Subject establishments without a held exercise in the year, with their RSSI's contact",
        description:
          "The establishments subject to the yearly exercise that have none held in the year, with their " +
          "RSSI's contact, to remind them.",
        querystring: LateQuerySchema,
        response: { 200: LatePageSchema, ...problems(400, 401, 403) },
      },
    },
    async (request) => {
      regional(request);
      return lateEstablishments(readDb, settings, { ...request.query, year: yearOr(request.query.year) });
    },
  );

  app.get(
    "/exercises/completion.csv",
    {
      config: { access: REGIONAL_ROLES, accessTrace: "exercise_completion" },
      schema: {
        tags,
        operationId: "exportCompletionCsv",
        summary: "The completion table as CSV (semicolons, UTF-8 with BOM)",
        description:
          "The yearly exercise completion table as CSV for a spreadsheet: semicolon separated, UTF-8 with " +
          "a byte order mark.",
        querystring: YearQuerySchema,
        produces: ["text/csv"],
        response: { 200: Type.String({ description: "CSV" }), ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      regional(request);
      const year = yearOr(request.query.year);
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="exercices-${year}.csv"`)
        .send(completionCsv(await completion(readDb, settings, year)));
    },
  );

  app.get(
    "/exercises/completion.xlsx",
    {
      config: { access: REGIONAL_ROLES, accessTrace: "exercise_completion" },
      schema: {
        tags,
        operationId: "exportCompletionXlsx",
        summary: "The completion table and the late list as an XLSX workbook",
        description:
          "The yearly exercise completion table and the list of late establishments as an XLSX workbook, " +
          "to open in a spreadsheet.",
        querystring: YearQuerySchema,
        produces: ["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
        response: { 200: Type.Any({ description: "XLSX workbook" }), ...problems(400, 401, 403) },
      },
    },
    async (request, reply) => {
      regional(request);
      const year = yearOr(request.query.year);
      const [data, late] = await Promise.all([
        completion(readDb, settings, year),
        lateEstablishments(readDb, settings, { year }, true),
      ]);
      return reply
        .type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .header("content-disposition", `attachment; filename="exercices-${year}.xlsx"`)
        .send(await completionXlsx(data, late));
    },
  );
};

export default exerciseRoutes;
