/**
 * Readers of a raw (not yet validated) config document, for the checks that run even when the
 * schema found problems elsewhere: they take what is there and skip what is not.
 */

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
