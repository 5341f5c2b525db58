// Reading an unpacked image: an OCI image layout (oci-layout, index.json, blobs/) or the
// older `docker save` format (manifest.json naming a config file and layer tars). Every
// path the image names is resolved inside its directory (resolve-in-root.ts), and digests
// are checked for shape before they become file names.
import { readFileSync } from 'node:fs';
import { TsscError } from '../errors.js';
import { parseImageConfig, type ImageConfig } from './image-config.js';
import type { LayerFile } from './layer-file.js';
import { resolveInRoot } from './resolve-in-root.js';

export interface Image {
  config: ImageConfig;
  /** Bottom layer first. */
  layers: LayerFile[];
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  platform?: { os?: string; architecture?: string };
  annotations?: Record<string, string>;
}

const DIGEST = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;
const IMAGE_INDEX_TYPES = ['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'];
const MAX_INDEX_DEPTH = 4;
const REF_ANNOTATIONS = ['org.opencontainers.image.ref.name', 'io.containerd.image.name'];

/** `ref` picks one image of several by its ref name (org.opencontainers.image.ref.name or io.containerd.image.name). */
export function readOciLayout(dir: string, ref?: string): Image {
  const index = readJson(dir, 'index.json');
  const manifestDescriptor = pickManifest(dir, index, 'index.json', 0, ref);
  const manifestWhere = `manifest ${manifestDescriptor.digest}`;
  const manifest = readJson(dir, blobPath(manifestDescriptor.digest, manifestWhere), manifestWhere);
  const configDescriptor = descriptorAt(field(manifest, 'config', manifestWhere), `${manifestWhere}: /config`);
  const configWhere = `image config ${configDescriptor.digest}`;
  const config = parseImageConfig(readJson(dir, blobPath(configDescriptor.digest, configWhere), configWhere), configWhere);
  const layerList = field(manifest, 'layers', manifestWhere);
  if (!Array.isArray(layerList)) throw new TsscError(`${manifestWhere}: /layers must be an array`);
  const layers = layerList.map((item: unknown, i: number): LayerFile => {
    const layer = descriptorAt(item, `${manifestWhere}: /layers/${i}`);
    const label = `layer ${i + 1} of ${layerList.length} (${layer.digest})`;
    return { path: resolveInRoot(dir, blobPath(layer.digest, label)), label, digest: layer.digest };
  });
  return { config, layers };
}

/** `ref` picks one image of several by one of its RepoTags. */
export function readDockerSave(dir: string, ref?: string): Image {
  const manifest = readJson(dir, 'manifest.json');
  if (!Array.isArray(manifest) || manifest.length === 0) {
    throw new TsscError('manifest.json: must be a non-empty array of images');
  }
  const tagsOf = (entry: unknown): string[] => {
    const tags = typeof entry === 'object' && entry !== null ? (entry as { RepoTags?: unknown }).RepoTags : undefined;
    return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
  };
  const allTags = manifest.flatMap(tagsOf).map((t) => JSON.stringify(t)).join(', ') || 'no tags';
  let chosen: unknown[] = manifest;
  if (ref !== undefined) {
    chosen = manifest.filter((entry) => tagsOf(entry).includes(ref));
    if (chosen.length === 0) throw new TsscError(`manifest.json: no image tagged ${JSON.stringify(ref)}; it has ${allTags}`);
  }
  if (chosen.length > 1) throw new TsscError(`manifest.json: the archive holds several images (${allTags}): choose one with --ref`);
  const image: unknown = chosen[0];
  const where = `manifest.json: /${manifest.indexOf(image)}`;
  const configName = field(image, 'Config', where);
  const layerNames = field(image, 'Layers', where);
  if (typeof configName !== 'string') throw new TsscError(`${where}/Config must be a string`);
  if (!Array.isArray(layerNames) || !layerNames.every((n) => typeof n === 'string')) {
    throw new TsscError(`${where}/Layers must be an array of strings`);
  }
  const config = parseImageConfig(readJson(dir, configName), configName);
  const layers = (layerNames as string[]).map((name, i): LayerFile => ({
    path: resolveInRoot(dir, name),
    label: `layer ${i + 1} of ${layerNames.length} (${name})`,
  }));
  return { config, layers };
}

function pickManifest(dir: string, index: unknown, where: string, depth: number, ref: string | undefined): Descriptor {
  const list = field(index, 'manifests', where);
  if (!Array.isArray(list) || list.length === 0) throw new TsscError(`${where}: /manifests must be a non-empty array`);
  let descriptors = list.map((item: unknown, i: number) => descriptorAt(item, `${where}: /manifests/${i}`));
  if (ref !== undefined && depth === 0) {
    const named = descriptors.filter((d) => refNames(d).includes(ref));
    if (named.length === 0) throw new TsscError(`${where}: no image named ${JSON.stringify(ref)}; it has ${describeRefs(descriptors)}`);
    descriptors = named;
  }
  // Prefer this machine's platform; an entry without a platform fits any.
  const fitting = descriptors.filter(
    (d) => d.platform === undefined || (d.platform.os === 'linux' && d.platform.architecture === 'amd64'),
  );
  const chosen = fitting[0];
  if (chosen === undefined) throw new TsscError(`${where}: no manifest for linux/amd64`);
  // Several images, not several platforms of one: the user has to say which.
  const images = new Set(fitting.map((d) => refNames(d).join('\n')));
  if (depth === 0 && ref === undefined && images.size > 1) {
    throw new TsscError(`${where}: the layout holds several images (${describeRefs(fitting)}): choose one with --ref`);
  }
  if (chosen.mediaType !== undefined && IMAGE_INDEX_TYPES.includes(chosen.mediaType)) {
    if (depth >= MAX_INDEX_DEPTH) throw new TsscError(`${where}: image indexes nested too deep`);
    const nestedWhere = `image index ${chosen.digest}`;
    return pickManifest(dir, readJson(dir, blobPath(chosen.digest, nestedWhere), nestedWhere), nestedWhere, depth + 1, ref);
  }
  return chosen;
}

function refNames(descriptor: Descriptor): string[] {
  return REF_ANNOTATIONS.map((key) => descriptor.annotations?.[key]).filter((name): name is string => name !== undefined);
}

function describeRefs(descriptors: Descriptor[]): string {
  const names = [...new Set(descriptors.flatMap(refNames))];
  return names.length === 0 ? 'no ref names' : names.map((n) => JSON.stringify(n)).join(', ');
}

function descriptorAt(value: unknown, where: string): Descriptor {
  const digest = field(value, 'digest', where);
  if (typeof digest !== 'string' || !DIGEST.test(digest)) {
    throw new TsscError(`${where}/digest: must be a sha256 or sha512 digest, got ${JSON.stringify(digest)}`);
  }
  const mediaType = field(value, 'mediaType', where);
  const platform = field(value, 'platform', where);
  const annotations = field(value, 'annotations', where);
  const descriptor: Descriptor = { digest };
  if (typeof annotations === 'object' && annotations !== null) descriptor.annotations = annotations as Record<string, string>;
  if (typeof mediaType === 'string') descriptor.mediaType = mediaType;
  if (typeof platform === 'object' && platform !== null) descriptor.platform = platform as Descriptor['platform'];
  return descriptor;
}

function blobPath(digest: string, where: string): string {
  if (!DIGEST.test(digest)) throw new TsscError(`${where}: bad digest ${JSON.stringify(digest)}`);
  const [algorithm, hex] = digest.split(':');
  return `blobs/${algorithm ?? ''}/${hex ?? ''}`;
}

function field(value: unknown, name: string, where: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TsscError(`${where}: must be an object`);
  }
  return (value as Record<string, unknown>)[name];
}

function readJson(dir: string, inner: string, where = inner): unknown {
  let text: string;
  try {
    text = readFileSync(resolveInRoot(dir, inner), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TsscError(`${where}: ${code === 'ENOENT' ? `${inner} is missing from the image` : (error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new TsscError(`${where}: invalid JSON: ${(error as Error).message}`);
  }
}
