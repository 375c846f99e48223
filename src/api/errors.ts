/**
 * Errors about manifests, shaped like the API server's field errors so users recognise them:
 * `web.yaml#2 Service shop/web: spec.ports[1].port: Invalid value: 70000: must be between 1
 * and 65535, inclusive`. Validators produce plain `FieldError` records (pure data, easy to
 * assert in tests); the loader turns them into `ManifestError`s that know the file and
 * document, and throws them all at once as one `ManifestErrors` so nothing is half-loaded.
 */
import { UserError } from "../util/errors.js";

export type FieldErrorType =
  | "Required value"
  | "Invalid value"
  | "Unsupported value"
  | "Duplicate value"
  | "Forbidden"
  | "Too many"
  /** The document itself cannot be read (YAML syntax, not a mapping). */
  | "Syntax error";

export interface FieldError {
  type: FieldErrorType;
  /** Path inside the object, e.g. `spec.ports[1].targetPort`; "" for the object as a whole. */
  field: string;
  /** The offending value (absent for Required/Forbidden). */
  value?: unknown;
  /** Why it is wrong / what is accepted. */
  detail?: string;
  /** For "Unsupported value": the accepted values. */
  supported?: readonly string[];
}

const MAX_RENDERED_VALUE = 200;

/** Render a value the way field errors quote it: strings quoted, numbers bare, objects as JSON. */
export function renderValue(value: unknown): string {
  let text: string;
  if (value === undefined) text = "null";
  else if (typeof value === "bigint") text = value.toString();
  else text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_RENDERED_VALUE ? `${text.slice(0, MAX_RENDERED_VALUE)}...` : text;
}

/** `spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive` */
export function formatFieldError(err: FieldError): string {
  let text: string = err.type;
  if (err.type === "Invalid value" || err.type === "Unsupported value" || err.type === "Duplicate value") {
    text += `: ${renderValue(err.value)}`;
  } else if (err.type === "Too many") {
    text += `: ${renderValue(err.value)}`;
  }
  if (err.supported) text += `: supported values: ${err.supported.map((s) => JSON.stringify(s)).join(", ")}`;
  if (err.detail) text += `: ${err.detail}`;
  return err.field ? `${err.field}: ${text}` : text;
}

/** Where an object came from: file (as the user named it), document index (0-based), List item. */
export interface ObjectSource {
  file: string;
  /** 0-based index of the YAML document in the file, counting empty documents too. */
  docIndex: number;
  /** Index inside `items` when the object came from a `kind: List` document. */
  itemIndex?: number;
}

export function formatSource(src: ObjectSource): string {
  return `${src.file}#${src.docIndex}`;
}

/** One problem in one document, with everything needed to find it. */
export class ManifestError extends UserError {
  readonly file: string;
  readonly docIndex: number;
  readonly fieldPath: string;
  readonly value: unknown;
  readonly fieldError: FieldError;

  constructor(
    source: ObjectSource,
    /** "Service shop/web", or just the kind (or "") when the object cannot be identified. */
    readonly objectRef: string,
    fieldError: FieldError,
  ) {
    const field =
      source.itemIndex === undefined
        ? fieldError.field
        : `items[${source.itemIndex}]${fieldError.field ? `.${fieldError.field}` : ""}`;
    const located = { ...fieldError, field };
    super(`${formatSource(source)}${objectRef ? ` ${objectRef}` : ""}: ${formatFieldError(located)}`);
    this.name = "ManifestError";
    this.file = source.file;
    this.docIndex = source.docIndex;
    this.fieldPath = field;
    this.value = fieldError.value;
    this.fieldError = located;
  }
}

/** Every problem of one load, thrown together: nothing of the load is applied. */
export class ManifestErrors extends UserError {
  constructor(readonly errors: readonly ManifestError[]) {
    super(
      errors.length === 1
        ? errors[0]!.message
        : `${errors.length} problems in the manifests:\n${errors.map((e) => `  ${e.message}`).join("\n")}`,
    );
    this.name = "ManifestErrors";
  }
}
