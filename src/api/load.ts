/**
 * Loading manifests the way `kubectl apply -f` reads them: files and directories (recursively,
 * `.yaml`/`.yml`/`.json`, sorted so every run sees the same order), then parsing, defaulting,
 * validation and duplicate detection over the whole set. Either every object is returned or a
 * ManifestErrors listing every problem is thrown.
 */
import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../util/errors.js";
import { admitObjects } from "./admit.js";
import type { ManifestError } from "./errors.js";
import { parseDocuments, type RawObject } from "./parse.js";
import type { LoadedObject } from "./types.js";

const MANIFEST_EXTENSIONS = [".yaml", ".yml", ".json"];

function isManifestFile(name: string): boolean {
  return MANIFEST_EXTENSIONS.some((ext) => name.endsWith(ext));
}

/**
 * The files a list of paths stands for: a file as given (whatever its extension), a directory
 * as its manifest files at any depth in sorted order. Each file appears once.
 */
export async function listManifestFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  const seen = new Set<string>();
  const add = async (file: string) => {
    const real = await realpath(file);
    if (!seen.has(real)) {
      seen.add(real);
      files.push(file);
    }
  };
  for (const path of paths) {
    const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
      throw new UserError(
        `cannot read manifest path "${path}": ${err.code ?? err.message}`,
        "check the -f argument",
      );
    });
    if (!info.isDirectory()) {
      await add(path);
      continue;
    }
    const found = (await walk(path, new Set())).sort();
    if (found.length === 0) {
      throw new UserError(
        `no manifests in directory "${path}"`,
        `put ${MANIFEST_EXTENSIONS.join(", ")} files there`,
      );
    }
    for (const file of found) await add(file);
  }
  return files;
}

async function walk(dir: string, visited: Set<string>): Promise<string[]> {
  const real = await realpath(dir);
  if (visited.has(real)) return [];
  visited.add(real);
  const out: string[] = [];
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) out.push(...(await walk(path, visited)));
    else if (info?.isFile() && isManifestFile(name)) out.push(path);
  }
  return out;
}

/** Load, default and validate every object in the given files and directories. */
export async function loadManifests(paths: readonly string[]): Promise<LoadedObject[]> {
  const files = await listManifestFiles(paths);
  const raw: RawObject[] = [];
  const errors: ManifestError[] = [];
  for (const file of files) {
    const text = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
      throw new UserError(
        `cannot read manifest "${file}": ${err.code ?? err.message}`,
        "check the file's permissions",
      );
    });
    const parsed = parseDocuments(text, file);
    raw.push(...parsed.objects);
    errors.push(...parsed.errors);
  }
  return admitObjects(raw, errors);
}

/** The same pipeline for text in memory; `fileName` is what error messages call it. */
export function parseManifestText(text: string, fileName: string): LoadedObject[] {
  const parsed = parseDocuments(text, fileName);
  return admitObjects(parsed.objects, parsed.errors);
}
