/**
 * Errors shared by the allocators. RangeFullError lets callers (controllers, the CNI plugin)
 * tell "nothing left" apart from "this particular request is wrong" without parsing text.
 */
import { UserError } from "../util/errors.js";

/** Every value of a range is in use. */
export class RangeFullError extends UserError {
  constructor(message: string, fix?: string) {
    super(message, fix);
    this.name = "RangeFullError";
  }
}
