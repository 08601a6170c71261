/**
 * Exit codes of the `aloft` command: 0 ok, 1 runtime failure, 2 bad input.
 * Commands throw CliError; main() prints its one-line message and exits with its code.
 */
export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT_RUNTIME) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Bad input from the user (a spec, a flag, a name): exit code 2. */
export const usageError = (message: string) => new CliError(message, EXIT_USAGE);
