// `bundle create`: a runnable bundle (config.json, rootfs/, the rootfs side file) from a
// rootfs tar, an OCI image layout (directory or tar) or a `docker save` tar, given as a
// path or (`-`) on standard input. If anything fails, what was made is removed again;
// nothing is ever written outside DIR.
import { createWriteStream, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CONFIG_FILE, ROOTFS_META_FILE } from '../bundle-files.js';
import { defaultSpec, formatSpec } from '../default-spec.js';
import { InvalidBundleError, TsscError } from '../errors.js';
import { checkSchema } from '../schema-check.js';
import { checkSemantics } from '../semantics.js';
import type { RunnableSpec } from '../spec.js';
import { archiveKind, type ArchiveKind } from './archive-kind.js';
import { specFromImage } from './image-config.js';
import { readDockerSave, readOciLayout, type Image } from './image-layout.js';
import { fileSize, openLayer, type LayerFile } from './layer-file.js';
import { RootfsMeta } from './rootfs-meta.js';
import { RootfsWriter } from './rootfs-writer.js';

export interface ProgressSink {
  /** Begins a phase: `what` reading or unpacking, `totalBytes` of input to go. */
  start(what: string, totalBytes: number): void;
  advance(bytes: number): void;
  finish(): void;
}

export interface CreateBundleOptions {
  dir: string;
  from: string;
  /** `-` reads SRC from `stdin` (default: the process's standard input). */
  stdin?: Readable;
  /** Picks one image of an archive or layout that holds several (ref name, or docker tag). */
  ref?: string;
  /** Overrides the image's Cmd (or the default "sh" of a rootfs tar). */
  args: readonly string[];
  progress?: ProgressSink;
}

export interface CreatedBundle {
  dir: string;
  rootfs: string;
  spec: RunnableSpec;
  source: ArchiveKind;
  /** How many paths the rootfs side file describes. */
  metaEntries: number;
}

const ROOTFS_DIR = 'rootfs';
const STDIN = '-';

export async function createBundle(options: CreateBundleOptions): Promise<CreatedBundle> {
  const dir = path.resolve(options.dir);
  const fromStdin = options.from === STDIN;
  let from = path.resolve(options.from);
  if (!fromStdin && statOrUndefined(from) === undefined) {
    throw new TsscError(`--from ${options.from}: no such file or directory`);
  }
  const made = prepareBundleDir(dir);
  const staging: string[] = [];
  try {
    // A pipe cannot be read twice (once to tell what it holds, once to unpack it): spool it.
    if (fromStdin) from = await spool(options.stdin ?? process.stdin, newStagingDir(dir, staging));
    const isDirectory = statSync(from).isDirectory();
    const source = isDirectory ? directoryKind(from) : await archiveKind(from);
    const image = source === 'rootfs' ? undefined : await readImage(from, isDirectory, source, dir, staging, options);
    const layers: LayerFile[] = image?.layers ?? [{ path: from, label: fromStdin ? 'standard input' : options.from }];

    const meta = new RootfsMeta();
    const writer = new RootfsWriter(made.rootfs, meta, (process.geteuid?.() ?? 0) === 0);
    // Sizing every layer first also finds a missing one before anything is unpacked.
    const totalBytes = layers.reduce((sum, layer) => sum + layerSize(layer), 0);
    options.progress?.start('unpacking', totalBytes);
    for (const layer of layers) {
      const opened = openLayer(layer, (bytes) => options.progress?.advance(bytes));
      await writer.apply(opened.tar, { whiteouts: image !== undefined, source: layer.label });
      opened.verified();
    }
    writer.finish();
    options.progress?.finish();
    meta.write(path.join(dir, ROOTFS_META_FILE));

    const spec = image === undefined ? defaultSpec({ args: options.args }) : specFromImage(image.config, options.args, made.rootfs);
    // The spec's root is read-only: its mount points must exist before anything runs.
    for (const mount of spec.mounts ?? []) writer.addMountPoint(mount.destination);
    writeConfig(dir, spec);
    return { dir, rootfs: made.rootfs, spec, source, metaEntries: Object.keys(meta.toFile().entries).length };
  } catch (error) {
    options.progress?.finish();
    made.undo();
    throw error;
  } finally {
    for (const stage of staging) rmSync(stage, { recursive: true, force: true });
  }
}

interface PreparedDir {
  rootfs: string;
  undo(): void;
}

/** DIR may exist (empty or not), but must not hold a bundle already. */
function prepareBundleDir(dir: string): PreparedDir {
  const existing = statOrUndefined(dir);
  if (existing !== undefined && !existing.isDirectory()) throw new TsscError(`${dir} exists and is not a directory`);
  for (const name of [CONFIG_FILE, ROOTFS_DIR, ROOTFS_META_FILE]) {
    if (existing !== undefined && lstatOrUndefined(path.join(dir, name)) !== undefined) {
      throw new TsscError(`${path.join(dir, name)} already exists; refusing to overwrite a bundle`);
    }
  }
  mkdirSync(dir, { recursive: true });
  const rootfs = path.join(dir, ROOTFS_DIR);
  mkdirSync(rootfs, { mode: 0o755 });
  return {
    rootfs,
    undo(): void {
      if (existing === undefined) {
        rmSync(dir, { recursive: true, force: true });
        return;
      }
      for (const name of [ROOTFS_DIR, ROOTFS_META_FILE]) rmSync(path.join(dir, name), { recursive: true, force: true });
    },
  };
}

function directoryKind(from: string): ArchiveKind {
  if (existsSync(path.join(from, 'index.json')) && existsSync(path.join(from, 'oci-layout'))) return 'oci-layout';
  if (existsSync(path.join(from, 'manifest.json'))) return 'docker-save';
  throw new TsscError(`--from ${from}: a directory must be an OCI image layout (oci-layout, index.json, blobs/)`);
}

async function readImage(
  from: string,
  isDirectory: boolean,
  kind: ArchiveKind,
  dir: string,
  staging: string[],
  { progress, ref }: Pick<CreateBundleOptions, 'progress' | 'ref'>,
): Promise<Image> {
  let root = from;
  if (!isDirectory) {
    // The archive's layers may come in any order: unpack it beside the rootfs first.
    root = newStagingDir(dir, staging);
    const writer = new RootfsWriter(root, new RootfsMeta(), false);
    progress?.start('reading image archive', fileSize(from));
    const archive = openLayer({ path: from, label: from }, (bytes) => progress?.advance(bytes));
    await writer.apply(archive.tar, { whiteouts: false, source: from });
    progress?.finish();
  }
  return kind === 'oci-layout' ? readOciLayout(root, ref) : readDockerSave(root, ref);
}

/** The generated spec must pass the same checks as any bundle; then it is written, never over a file. */
function writeConfig(dir: string, spec: RunnableSpec): void {
  const problems = [...checkSchema(CONFIG_FILE, spec), ...checkSemantics(CONFIG_FILE, spec, dir)];
  if (problems.length > 0) throw new InvalidBundleError(dir, problems);
  writeFileSync(path.join(dir, CONFIG_FILE), formatSpec(spec), { flag: 'wx', mode: 0o644 });
}

function layerSize(layer: LayerFile): number {
  try {
    return fileSize(layer.path);
  } catch {
    throw new TsscError(`${layer.label}: missing from the image`);
  }
}

function newStagingDir(dir: string, staging: string[]): string {
  const stage = mkdtempSync(path.join(dir, '.tssc-staging-'));
  staging.push(stage);
  return stage;
}

async function spool(input: Readable, stage: string): Promise<string> {
  const file = path.join(stage, 'stdin.tar');
  await pipeline(input, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
  return file;
}

function statOrUndefined(file: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function lstatOrUndefined(file: string): ReturnType<typeof lstatSync> | undefined {
  try {
    return lstatSync(file);
  } catch {
    return undefined;
  }
}
