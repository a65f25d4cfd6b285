/** Structured JSON logs, one line per event, to stdout (errors to stderr). */
export type Fields = Record<string, unknown>;

function write(level: "info" | "warn" | "error", msg: string, fields: Fields): void {
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
  (level === "error" ? process.stderr : process.stdout).write(line + "\n");
}

export const log = {
  info: (msg: string, fields: Fields = {}) => write("info", msg, fields),
  warn: (msg: string, fields: Fields = {}) => write("warn", msg, fields),
  error: (msg: string, fields: Fields = {}) => write("error", msg, fields),
};
