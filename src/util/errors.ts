/**
 * Errors a user can act on. They print as one line (what, where, what to do) without a stack
 * trace; anything else reaching the CLI top level is a bug and prints its stack.
 */
export class UserError extends Error {
  constructor(
    message: string,
    /** What the user can do about it, printed after the message. */
    readonly fix?: string,
  ) {
    super(message);
    this.name = "UserError";
  }

  override toString(): string {
    return this.fix ? `${this.message} (${this.fix})` : this.message;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof UserError) return err.toString();
  if (err instanceof Error) return err.message;
  return String(err);
}
