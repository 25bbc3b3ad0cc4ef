/**
 * @module gemini-schema
 * JSON Schema (what OpenAI-shaped clients send for tool parameters and json_schema response
 * formats) → the Gemini API's `Schema` object, a subset of OpenAPI 3.0 (Gemini API reference
 * — "Schema"). The API answers 400 INVALID_ARGUMENT ("Unknown name ...") for keywords outside
 * that subset, so instead of passing the schema through we keep the supported keywords and
 * rewrite the common JSON Schema idioms it lacks: `type: [T, "null"]` → `nullable`, `oneOf`
 * → `anyOf`, `const` → a one-value `enum`, and local `$ref`s into `$defs`/`definitions` are
 * inlined. Everything else (`additionalProperties`, `$schema`, `$id`, `examples`, `not`,
 * `patternProperties`...) is dropped: the model loses that constraint, the request succeeds.
 */

/** Keywords of the Gemini `Schema` object whose values are copied as they are. */
const PLAIN_KEYWORDS = new Set([
  'format',
  'title',
  'description',
  'nullable',
  'maxItems',
  'minItems',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'default',
  'minimum',
  'maximum',
  'propertyOrdering',
]);

/** Deeper than this, a recursive `$ref` is cut off (Gemini schemas cannot be recursive). */
const MAX_REF_DEPTH = 8;

type JsonSchema = Record<string, unknown>;

/**
 * @example toGeminiSchema({ type: 'object', additionalProperties: false, properties: { city: { type: ['string', 'null'] } } })
 * // → { type: 'object', properties: { city: { type: 'string', nullable: true } } }
 */
export function toGeminiSchema(schema: JsonSchema): JsonSchema {
  const defs = { ...asObject(schema.definitions), ...asObject(schema.$defs) };
  return convert(schema, defs, 0);
}

function convert(schema: JsonSchema, defs: JsonSchema, depth: number): JsonSchema {
  if (typeof schema.$ref === 'string') {
    const target = resolveRef(schema.$ref, defs);
    if (target && depth < MAX_REF_DEPTH) return convert({ ...target, ...withoutRef(schema) }, defs, depth + 1);
    return { type: 'object' };
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) if (PLAIN_KEYWORDS.has(key)) out[key] = value;

  if (Array.isArray(schema.type)) {
    const types = schema.type.filter((t): t is string => typeof t === 'string');
    const nonNull = types.filter((t) => t !== 'null');
    if (nonNull.length < types.length) out.nullable = true;
    if (nonNull.length === 1) out.type = nonNull[0];
    else if (nonNull.length > 1) out.anyOf = nonNull.map((type) => ({ type }));
  } else if (typeof schema.type === 'string') {
    out.type = schema.type;
  }

  if (Array.isArray(schema.enum)) {
    const values = schema.enum.filter((v) => v !== null);
    if (values.length < schema.enum.length) out.nullable = true;
    // The Schema's enum is for strings only (format "enum"); others are described instead of enforced.
    if (values.every((v) => typeof v === 'string')) out.enum = values;
  } else if (typeof schema.const === 'string') {
    out.enum = [schema.const];
  }

  const properties = asObject(schema.properties);
  if (schema.properties !== undefined) {
    out.properties = Object.fromEntries(Object.entries(properties).map(([name, sub]) => [name, convert(asObject(sub), defs, depth)]));
    if (out.type === undefined) out.type = 'object';
  }
  if (Array.isArray(schema.required)) out.required = schema.required.filter((name) => typeof name === 'string' && name in properties);

  const items = Array.isArray(schema.items) ? schema.items[0] : schema.items;
  if (items !== undefined && typeof items === 'object' && items !== null) out.items = convert(items as JsonSchema, defs, depth);

  const alternatives = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
  if (alternatives) {
    const nonNull = alternatives.map(asObject).filter((alt) => alt.type !== 'null');
    if (nonNull.length < alternatives.length) out.nullable = true;
    // `anyOf: [X, {type: null}]` (how Pydantic writes Optional[X]) is X made nullable.
    if (nonNull.length === 1) Object.assign(out, { ...convert(nonNull[0], defs, depth), ...out });
    else if (nonNull.length > 1) out.anyOf = nonNull.map((alt) => convert(alt, defs, depth));
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) {
    // allOf is not in the subset; the usual case (one $ref plus a description) merges cleanly.
    for (const part of schema.allOf) Object.assign(out, { ...convert(asObject(part), defs, depth), ...out });
  }
  return out;
}

function resolveRef(ref: string, defs: JsonSchema): JsonSchema | undefined {
  const match = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref);
  if (!match) return undefined;
  const target = defs[decodeURIComponent(match[1].replace(/~1/g, '/').replace(/~0/g, '~'))];
  return typeof target === 'object' && target !== null ? (target as JsonSchema) : undefined;
}

function withoutRef(schema: JsonSchema): JsonSchema {
  const { $ref: _ref, ...rest } = schema;
  return rest;
}

function asObject(value: unknown): JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonSchema) : {};
}
