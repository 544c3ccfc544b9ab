/**
 * The one errors module. A command either returns an exit code or throws an
 * NsPlugError; main.ts turns the error into `ns-plug: <message>` and its code.
 * Expected outcomes (not approved yet, unregistered, …) are values, not errors.
 */
export class NsPlugError extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NsPlugError";
    this.exitCode = exitCode;
  }
}

/** Bad command line: exit 2, like most Unix tools. */
export class UsageError extends NsPlugError {
  constructor(message: string) {
    super(2, message);
    this.name = "UsageError";
  }
}

/** A config value that is missing or invalid; the caller picks the code (SPEC §3.1 uses 1/2/3). */
export class ConfigError extends NsPlugError {
  constructor(message: string, exitCode = 1) {
    super(exitCode, message);
    this.name = "ConfigError";
  }
}

/** A remote (controller, portal, backupd) failed or answered something unusable. */
export class RemoteError extends NsPlugError {
  /** HTTP status when the remote answered, undefined when it did not. */
  readonly status: number | undefined;
  constructor(message: string, options?: { cause?: unknown; status?: number; exitCode?: number }) {
    super(options?.exitCode ?? 1, message, options);
    this.name = "RemoteError";
    this.status = options?.status;
  }
}

/** A command whose issue has not landed yet (exit 70 = EX_SOFTWARE). */
export class NotImplementedError extends NsPlugError {
  constructor(command: string) {
    super(70, `${command}: not implemented`);
    this.name = "NotImplementedError";
  }
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
