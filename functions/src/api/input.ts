/**
 * Turning a request into a use case's input: query strings and path parameters are strings, so
 * they are first converted strictly (an integer is digits, a boolean is `true`/`false`, a time is
 * epoch milliseconds or ISO 8601) and then validated by the same zod schema the callables use.
 * Unknown query parameters and repeated ones are errors, not ignored: a typo such as `limt=10`
 * must not silently return 50 rows.
 */
import { appErrorFromZod } from '@wasync/shared';
import { z } from 'zod';

/** Digits only: `1.5`, `1e3`, `+5`, `0x10` and ` 5` are not integers here. */
export const integerParam = z
  .string()
  .regex(/^[0-9]{1,9}$/, 'expected an integer')
  .transform(Number);

export const booleanParam = z.enum(['true', 'false'], 'expected true or false').transform((v) => v === 'true');

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** A time: epoch milliseconds, or an ISO 8601 date or date-time with a zone. */
export const instantParam = z.string().transform((value, ctx) => {
  const ms = /^[0-9]{1,16}$/.test(value) ? Number(value) : ISO_8601.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: 'expected epoch milliseconds or an ISO 8601 date-time with a zone' });
    return z.NEVER;
  }
  return ms;
});

/**
 * Parses a query string with `convert` (strings → typed values), adds the path parameters, then
 * validates the whole with the use case's `schema`. Both failures are `invalid_argument` errors
 * naming every bad field.
 */
export function parseQuery<S extends z.ZodType>(
  convert: z.ZodType<Record<string, unknown>>,
  schema: S,
  query: unknown,
  pathParams: Record<string, string | string[]> = {},
): z.output<S> {
  const converted = convert.safeParse(query);
  if (!converted.success) throw appErrorFromZod(converted.error, 'query');
  const parsed = schema.safeParse({ ...converted.data, ...pathParams });
  if (!parsed.success) throw appErrorFromZod(parsed.error, 'request');
  return parsed.data;
}

/** Parses a JSON body with the use case's schema. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, what = 'request body'): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw appErrorFromZod(parsed.error, what);
  return parsed.data;
}
