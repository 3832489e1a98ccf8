/**
 * A small structured logger: one line per event on stderr, `time level msg key=value…`, level
 * filtered. Never given key material: callers pass names, tags and paths, not secrets.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFn = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

export function createLogger(min: LogLevel = 'info', out: NodeJS.WritableStream = process.stderr, prefix = ''): LogFn {
  return (level, msg, fields) => {
    if (ORDER[level] < ORDER[min]) return;
    let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${prefix}${msg}`;
    if (fields) for (const [k, v] of Object.entries(fields)) line += ` ${k}=${formatValue(v)}`;
    out.write(line + '\n');
  };
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  if (v instanceof Error) return JSON.stringify(v.message);
  return JSON.stringify(v) ?? 'undefined';
}

export function isLogLevel(s: string): s is LogLevel {
  return s in ORDER;
}
