// Starts the real tenant app as a child process (as its container does) on a free port with temp dirs.
import { spawn, ChildProcess } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import path from 'path';

export const APP = path.resolve(__dirname, '../../runtime/tenant-app/server.js');
export const TENANT = 'acme';
export const IDENTITY = { 'x-user-id': 'alice', 'x-tenant-id': TENANT };

export interface Dirs {
  files: string;
  data: string;
  remove(): void;
}

export function tempDirs(): Dirs {
  const root = mkdtempSync(path.join(tmpdir(), 'tenant-app-'));
  return {
    files: path.join(root, 'files'),
    data: path.join(root, 'state'),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

export interface RunningApp {
  url: string;
  port: number;
  /** Every JSON log line the app printed so far. */
  logs: Array<Record<string, unknown>>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export async function startApp(dirs: Dirs, env: Record<string, string> = {}): Promise<RunningApp> {
  const child = spawn(process.execPath, [APP], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DORMER_TENANT_ID: TENANT,
      FILES_DIR: dirs.files, DATA_DIR: dirs.data, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    let pending = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'listening') resolve(entry.port as number);
      }
    });
    exited.then((code) => reject(new Error(`tenant app exited with ${code} before listening`)));
  });
  return { url: `http://127.0.0.1:${port}`, port, logs, stop: () => stop(child, exited) };
}

async function stop(child: ChildProcess, exited: Promise<number | null>): Promise<number | null> {
  if (child.exitCode === null) child.kill('SIGTERM');
  return exited;
}

export interface ErrorBody { error: string; message: string }
export interface FileInfo { name: string; size: number; modified: string }
export interface Message { id: number; role: 'user' | 'assistant'; user: string; text: string; at: string }

/** The app's JSON body, typed as the caller expects it (fetch types it as unknown). */
export async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}
