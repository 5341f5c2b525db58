import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkBundle } from '../../src/oci/bundle.js';
import { createBundle } from '../../src/oci/image/create-bundle.js';
import { makeBusyboxRootfs, tarDirectory } from '../fixtures/busybox.js';
import { dockerSaveFiles, filesToTar, mergeImageFiles, ociLayoutFiles, writeFiles, type ImageConfigFields } from '../fixtures/images.js';
import { tarBuffer, tarGzBuffer, type TarItem } from '../fixtures/tar-builder.js';
import { runCli } from '../cli/run-cli.js';
import { worldReadableCopy } from '../e2e/busybox-bundle.js';
import { RootfsMeta } from '../../src/oci/image/rootfs-meta.js';
import { RootfsWriter } from '../../src/oci/image/rootfs-writer.js';

const IS_ROOT = (process.geteuid?.() ?? 0) === 0;


const BASE_LAYER: TarItem[] = [
  { name: 'etc/', type: 'directory' },
  { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n' },
  { name: 'etc/group', content: 'root:x:0:\napp:x:1000:\nstaff:x:50:app\n' },
  { name: 'home/app/', type: 'directory', uid: 1000, gid: 1000 },
  { name: 'gone', content: 'lower' },
  { name: 'data/', type: 'directory' },
  { name: 'data/old', content: 'old' },
  { name: 'data/keep', content: 'keep' },
  { name: 'opaque/', type: 'directory' },
  { name: 'opaque/lower', content: 'lower' },
];
const TOP_LAYER: TarItem[] = [
  { name: '.wh.gone', content: '' },
  { name: 'data/.wh.old', content: '' },
  { name: 'opaque/', type: 'directory' },
  { name: 'opaque/.wh..wh..opq', content: '' },
  { name: 'opaque/upper', content: 'upper' },
  { name: 'added', content: 'new', mode: 0o755 },
];
const IMAGE_CONFIG: ImageConfigFields = {
  Env: ['PATH=/custom/bin:/bin', 'FOO=bar'],
  Entrypoint: ['/bin/sh', '-c'],
  Cmd: ['echo hi'],
  WorkingDir: '/home/app',
  User: 'app',
};

/** Names and contents of everything under `dir`, to show nothing there changed. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (at: string): void => {
    for (const name of readdirSync(at).sort()) {
      const full = path.join(at, name);
      const stat = lstatSync(full);
      out.push(`${path.relative(dir, full)} ${stat.isFile() ? readFileSync(full, 'utf8') : stat.isDirectory() ? '<dir>' : '<other>'}`);
      if (stat.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return out;
}

describe('bundle create', () => {
  let work: string;
  let bundle: string;
  beforeEach(() => {
    work = mkdtempSync(path.join(tmpdir(), 'tssc-bundle-'));
    bundle = path.join(work, 'bundle');
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  describe('from a busybox rootfs tar', () => {
    let busyboxTar: string;
    let fixtures: string;
    beforeAll(() => {
      fixtures = mkdtempSync(path.join(tmpdir(), 'tssc-busybox-'));
      const rootfs = makeBusyboxRootfs(fixtures);
      busyboxTar = path.join(fixtures, 'busybox.tar');
      tarDirectory(rootfs, busyboxTar);
    });
    afterAll(() => rmSync(fixtures, { recursive: true, force: true }));

    it('unpacks the rootfs and writes a valid default spec', async () => {
      const created = await createBundle({ dir: bundle, from: busyboxTar, args: [] });
      expect(created.source).toBe('rootfs');
      const busybox = path.join(bundle, 'rootfs', 'bin', 'busybox');
      expect(statSync(busybox).size).toBe(statSync(path.join(fixtures, 'rootfs-src', 'bin', 'busybox')).size);
      expect(statSync(busybox).mode & 0o111).not.toBe(0);
      expect(readlinkSync(path.join(bundle, 'rootfs', 'bin', 'sh'))).toBe('busybox');
      expect(created.spec.process.args).toEqual(['sh']);
      for (const mountPoint of ['proc', 'sys', 'dev']) expect(statSync(path.join(bundle, 'rootfs', mountPoint)).isDirectory()).toBe(true);
      expect(checkBundle(bundle).ok).toBe(true);
      const meta = JSON.parse(readFileSync(path.join(bundle, 'tssc-rootfs-meta.json'), 'utf8'));
      expect(meta.version).toBe(1);
    });

    it('uses ARGS after -- through the CLI, and the bundle validates', () => {
      const result = runCli(['bundle', 'create', bundle, '--from', busyboxTar, '--', '/bin/echo', 'hi']);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(`${bundle}\n`);
      expect(JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')).process.args).toEqual(['/bin/echo', 'hi']);
      expect(runCli(['validate', '-b', bundle]).status).toBe(0);
    });

    it('refuses to overwrite an existing bundle', async () => {
      mkdirSync(bundle);
      writeFileSync(path.join(bundle, 'config.json'), 'mine');
      await expect(createBundle({ dir: bundle, from: busyboxTar, args: [] })).rejects.toThrow(
        `${path.join(bundle, 'config.json')} already exists; refusing to overwrite a bundle`,
      );
      expect(snapshot(bundle)).toEqual(['config.json mine']);
    });
  });

  describe('from an OCI image layout with two layers and whiteouts', () => {
    const check = async (from: string): Promise<void> => {
      const created = await createBundle({ dir: bundle, from, args: [] });
      expect(created.source).toBe('oci-layout');
      const rootfs = path.join(bundle, 'rootfs');
      expect(existsSync(path.join(rootfs, 'gone'))).toBe(false);
      expect(existsSync(path.join(rootfs, 'data', 'old'))).toBe(false);
      expect(readFileSync(path.join(rootfs, 'data', 'keep'), 'utf8')).toBe('keep');
      expect(existsSync(path.join(rootfs, 'opaque', 'lower'))).toBe(false);
      expect(readFileSync(path.join(rootfs, 'opaque', 'upper'), 'utf8')).toBe('upper');
      expect(statSync(path.join(rootfs, 'added')).mode & 0o777).toBe(0o755);
      expect(readdirSync(rootfs).some((name) => name.startsWith('.wh.'))).toBe(false);
      expect(readdirSync(rootfs).sort()).toEqual(['added', 'data', 'dev', 'etc', 'home', 'opaque', 'proc', 'sys']);
      const spec = created.spec;
      expect(spec.process.env).toEqual(['PATH=/custom/bin:/bin', 'TERM=xterm', 'FOO=bar']);
      expect(spec.process.args).toEqual(['/bin/sh', '-c', 'echo hi']);
      expect(spec.process.cwd).toBe('/home/app');
      expect(spec.process.user).toEqual({ uid: 1000, gid: 1000, additionalGids: [50] });
      expect(readdirSync(bundle).sort()).toEqual(['config.json', 'rootfs', 'tssc-rootfs-meta.json']);
      expect(checkBundle(bundle).ok).toBe(true);
    };

    it('as a directory', async () => {
      const layout = path.join(work, 'layout');
      writeFiles(layout, ociLayoutFiles(IMAGE_CONFIG, [await tarBuffer(BASE_LAYER), await tarGzBuffer(TOP_LAYER)]));
      await check(layout);
    });

    it('as a tar', async () => {
      const layoutTar = path.join(work, 'layout.tar');
      writeFileSync(layoutTar, await filesToTar(ociLayoutFiles(IMAGE_CONFIG, [await tarGzBuffer(BASE_LAYER), await tarBuffer(TOP_LAYER)])));
      await check(layoutTar);
    });

    it('ARGS replace Cmd but keep Entrypoint', async () => {
      const layout = path.join(work, 'layout');
      writeFiles(layout, ociLayoutFiles(IMAGE_CONFIG, [await tarBuffer(BASE_LAYER)]));
      const created = await createBundle({ dir: bundle, from: layout, args: ['echo bye'] });
      expect(created.spec.process.args).toEqual(['/bin/sh', '-c', 'echo bye']);
    });

    it('refuses a layer whose content does not match its digest', async () => {
      const layout = path.join(work, 'layout');
      const files = ociLayoutFiles(IMAGE_CONFIG, [await tarBuffer(BASE_LAYER)]);
      writeFiles(layout, files);
      const layerPath = [...files.keys()].find((name) => files.get(name)?.subarray(257, 262).toString() === 'ustar');
      writeFileSync(path.join(layout, layerPath ?? ''), await tarBuffer([{ name: 'evil', content: 'x' }]));
      await expect(createBundle({ dir: bundle, from: layout, args: [] })).rejects.toThrow(/layer 1 of 1 \(sha256:[0-9a-f]+\): content does not match its digest/);
      expect(existsSync(bundle)).toBe(false);
    });
  });

  it('from a docker save tar', async () => {
    const saved = path.join(work, 'image.tar');
    writeFileSync(saved, await filesToTar(dockerSaveFiles({ ...IMAGE_CONFIG, User: '1000:50' }, [await tarBuffer(BASE_LAYER), await tarBuffer(TOP_LAYER)])));
    const created = await createBundle({ dir: bundle, from: saved, args: [] });
    expect(created.source).toBe('docker-save');
    expect(existsSync(path.join(bundle, 'rootfs', 'gone'))).toBe(false);
    expect(readFileSync(path.join(bundle, 'rootfs', 'opaque', 'upper'), 'utf8')).toBe('upper');
    expect(created.spec.process.user).toEqual({ uid: 1000, gid: 50 });
    expect(readdirSync(bundle).sort()).toEqual(['config.json', 'rootfs', 'tssc-rootfs-meta.json']);
  });

  describe('archives holding several images', () => {
    const twoImages = async (kind: 'oci' | 'docker'): Promise<Map<string, Buffer>> => {
      const make = kind === 'oci' ? ociLayoutFiles : dockerSaveFiles;
      return mergeImageFiles([
        make({ Cmd: ['/first'] }, [await tarBuffer([{ name: 'first', content: '1' }])], kind === 'oci' ? 'one' : 'one:latest'),
        make({ Cmd: ['/second'] }, [await tarBuffer([{ name: 'second', content: '2' }])], kind === 'oci' ? 'two' : 'two:latest'),
      ]);
    };

    it('picks one OCI layout image by ref name, and asks for --ref otherwise', async () => {
      const layout = path.join(work, 'layout');
      writeFiles(layout, await twoImages('oci'));
      await expect(createBundle({ dir: bundle, from: layout, args: [] })).rejects.toThrow(
        'index.json: the layout holds several images ("one", "two"): choose one with --ref',
      );
      await expect(createBundle({ dir: bundle, from: layout, args: [], ref: 'three' })).rejects.toThrow(
        'index.json: no image named "three"; it has "one", "two"',
      );
      const created = await createBundle({ dir: bundle, from: layout, args: [], ref: 'two' });
      expect(created.spec.process.args).toEqual(['/second']);
      expect(readdirSync(path.join(bundle, 'rootfs'))).toContain('second');
    });

    it('takes a single image with both containerd ref annotations without --ref', async () => {
      const layout = path.join(work, 'layout');
      const files = ociLayoutFiles({ Cmd: ['/only'] }, [await tarBuffer([{ name: 'only', content: '1' }])]);
      const index = JSON.parse(String(files.get('index.json')));
      index.manifests[0].annotations = {
        'io.containerd.image.name': 'docker.io/library/only:latest',
        'org.opencontainers.image.ref.name': 'latest',
      };
      files.set('index.json', Buffer.from(JSON.stringify(index)));
      writeFiles(layout, files);
      expect((await createBundle({ dir: bundle, from: layout, args: [] })).spec.process.args).toEqual(['/only']);
      rmSync(bundle, { recursive: true });
      const named = await createBundle({ dir: bundle, from: layout, args: [], ref: 'docker.io/library/only:latest' });
      expect(named.spec.process.args).toEqual(['/only']);
    });

    it('picks one docker save image by tag', async () => {
      const saved = path.join(work, 'images.tar');
      writeFileSync(saved, await filesToTar(await twoImages('docker')));
      await expect(createBundle({ dir: bundle, from: saved, args: [] })).rejects.toThrow(
        'manifest.json: the archive holds several images ("one:latest", "two:latest"): choose one with --ref',
      );
      const created = await createBundle({ dir: bundle, from: saved, args: [], ref: 'one:latest' });
      expect(created.spec.process.args).toEqual(['/first']);
    });
  });

  describe('USER resolution', () => {
    const userOf = async (user: string): Promise<unknown> => {
      const layout = path.join(work, 'layout-' + user.replace(/\W/g, '_'));
      writeFiles(layout, ociLayoutFiles({ ...IMAGE_CONFIG, User: user }, [await tarBuffer(BASE_LAYER)]));
      const dir = path.join(work, 'b-' + user.replace(/\W/g, '_'));
      return (await createBundle({ dir, from: layout, args: [] })).spec.process.user;
    };

    it('resolves numbers, names and groups through the image files', async () => {
      expect(await userOf('')).toEqual({ uid: 0, gid: 0 });
      expect(await userOf('1000')).toEqual({ uid: 1000, gid: 1000, additionalGids: [50] });
      expect(await userOf('4321')).toEqual({ uid: 4321, gid: 0 });
      expect(await userOf('4321:99')).toEqual({ uid: 4321, gid: 99 });
      expect(await userOf('app:staff')).toEqual({ uid: 1000, gid: 50 });
      expect(await userOf('root:app')).toEqual({ uid: 0, gid: 1000 });
    });

    it('names the bad USER value', async () => {
      await expect(userOf('nobody')).rejects.toThrow(`image USER "nobody": no user "nobody" in the image's /etc/passwd`);
      await expect(userOf('app:wheel')).rejects.toThrow(`image USER "app:wheel": no group "wheel" in the image's /etc/group`);
      await expect(userOf('app:')).rejects.toThrow('image USER "app:": expected uid, uid:gid, name or name:group');
    });

    it('reads /etc/passwd through a symlink inside the image, never the host', async () => {
      const layout = path.join(work, 'layout');
      const layer: TarItem[] = [
        { name: 'etc/', type: 'directory' },
        { name: 'etc/passwd', type: 'symlink', linkname: '/real/passwd' },
        { name: 'real/passwd', content: 'svc:x:77:77::/:/bin/sh\n' },
      ];
      writeFiles(layout, ociLayoutFiles({ ...IMAGE_CONFIG, User: 'svc' }, [await tarBuffer(layer)]));
      expect((await createBundle({ dir: bundle, from: layout, args: [] })).spec.process.user).toEqual({ uid: 77, gid: 77 });
    });
  });

  describe('hostile tars', () => {
    let outside: string;
    let before: string[];
    beforeEach(() => {
      outside = path.join(work, 'outside');
      mkdirSync(outside);
      writeFileSync(path.join(outside, 'secret'), 'do not touch');
      before = snapshot(outside);
    });

    const refuses = async (items: TarItem[], message: string | RegExp): Promise<void> => {
      const hostile = path.join(work, 'hostile.tar');
      writeFileSync(hostile, await tarBuffer([{ name: 'ok', content: 'fine' }, ...items]));
      await expect(createBundle({ dir: bundle, from: hostile, args: [] })).rejects.toThrow(message);
      expect(snapshot(outside)).toEqual(before);
      expect(existsSync(bundle)).toBe(false);
    };

    it('refuses ".." traversal', async () => {
      await refuses([{ name: '../outside/pwned', content: 'x' }], `refusing tar entry "../outside/pwned": ".." would lead outside the rootfs`);
      await refuses([{ name: 'a/../../outside/pwned', content: 'x' }], /refusing tar entry "a\/\.\.\/\.\.\/outside\/pwned"/);
    });

    it('refuses absolute names', async () => {
      await refuses([{ name: `${outside}/pwned`, content: 'x' }], `refusing tar entry "${outside}/pwned": absolute path`);
    });

    it('refuses writing through a symlinked parent, absolute or relative', async () => {
      await refuses(
        [{ name: 'evil', type: 'symlink', linkname: outside }, { name: 'evil/pwned', content: 'x' }],
        'refusing tar entry "evil/pwned": its parent /evil is a symbolic link',
      );
      await refuses(
        [{ name: 'dir/', type: 'directory' }, { name: 'dir/evil', type: 'symlink', linkname: '../../outside' }, { name: 'dir/evil/pwned', content: 'x' }],
        'refusing tar entry "dir/evil/pwned": its parent /dir/evil is a symbolic link',
      );
    });

    it('refuses hard links to outside, absolute or through a symlink', async () => {
      await refuses([{ name: 'h', type: 'link', linkname: '../outside/secret' }], /refusing hard link "h" to "..\/outside\/secret"/);
      await refuses([{ name: 'h', type: 'link', linkname: `${outside}/secret` }], /refusing hard link "h" to ".*": absolute path/);
      await refuses(
        [{ name: 'evil', type: 'symlink', linkname: outside }, { name: 'h', type: 'link', linkname: 'evil/secret' }],
        'refusing tar entry "h": its parent /evil is a symbolic link',
      );
    });

    it('refuses the same inside an image layer', async () => {
      const layout = path.join(work, 'layout');
      writeFiles(layout, ociLayoutFiles(IMAGE_CONFIG, [await tarBuffer(BASE_LAYER), await tarBuffer([{ name: '../outside/pwned', content: 'x' }])]));
      await expect(createBundle({ dir: bundle, from: layout, args: [] })).rejects.toThrow(/layer 2 of 2 \(sha256:.*\): refusing tar entry "..\/outside\/pwned"/);
      expect(snapshot(outside)).toEqual(before);
      expect(existsSync(bundle)).toBe(false);
    });

    it('refuses whiteouts of "." or ".." in a layer', async () => {
      for (const name of ['.wh..', 'data/.wh...']) {
        const layout = path.join(work, 'layout-' + name.length);
        writeFiles(layout, ociLayoutFiles(IMAGE_CONFIG, [await tarBuffer(BASE_LAYER), await tarBuffer([{ name, content: '' }])]));
        await expect(createBundle({ dir: bundle, from: layout, args: [] })).rejects.toThrow(`refusing whiteout "${name}": it names no file`);
        expect(snapshot(outside)).toEqual(before);
        expect(existsSync(bundle)).toBe(false);
      }
    });

    it('names a layer missing from a docker save archive', async () => {
      const files = dockerSaveFiles(IMAGE_CONFIG, [await tarBuffer(BASE_LAYER)]);
      for (const name of files.keys()) if (name.endsWith('layer.tar')) files.delete(name);
      const saved = path.join(work, 'image.tar');
      writeFileSync(saved, await filesToTar(files));
      await expect(createBundle({ dir: bundle, from: saved, args: [] })).rejects.toThrow(/^layer 1 of 1 \([0-9a-f]+\/layer\.tar\): missing from the image$/);
      expect(existsSync(bundle)).toBe(false);
    });

    it('replaces a symlink by a file instead of writing through it', async () => {
      const tarFile = path.join(work, 'replace.tar');
      writeFileSync(
        tarFile,
        await tarBuffer([
          { name: 'x', type: 'symlink', linkname: path.join(outside, 'secret') },
          { name: 'x', content: 'replaced' },
        ]),
      );
      await createBundle({ dir: bundle, from: tarFile, args: [] });
      expect(readFileSync(path.join(bundle, 'rootfs', 'x'), 'utf8')).toBe('replaced');
      expect(lstatSync(path.join(bundle, 'rootfs', 'x')).isFile()).toBe(true);
      expect(snapshot(outside)).toEqual(before);
    });

    it('keeps an existing directory the user gave, removing only what it made', async () => {
      mkdirSync(bundle);
      writeFileSync(path.join(bundle, 'notes'), 'mine');
      const hostile = path.join(work, 'hostile.tar');
      writeFileSync(hostile, await tarBuffer([{ name: '../x', content: 'x' }]));
      await expect(createBundle({ dir: bundle, from: hostile, args: [] })).rejects.toThrow('would lead outside');
      expect(snapshot(bundle)).toEqual(['notes mine']);
    });
  });

  describe('what the host cannot hold', () => {
    const SPECIAL: TarItem[] = [
      { name: 'dev/', type: 'directory' },
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0, mode: 0o660, gid: 6 },
      { name: 'run/fifo', type: 'fifo', mode: 0o644 },
      { name: 'etc/', type: 'directory' },
      { name: 'etc/www', content: 'w', uid: 33, gid: 33 },
      { name: 'etc/root-owned', content: 'r' },
      { name: 'bin/', type: 'directory' },
      { name: 'bin/su', content: 'su', mode: 0o4755 },
      { name: 'bin/su-link', type: 'link', linkname: 'bin/su' },
      { name: 'dev/null-link', type: 'link', linkname: 'dev/null' },
      { name: 'locked/', type: 'directory', mode: 0o500 },
      { name: 'locked/inside', content: 'i', mode: 0o400 },
    ];

    const metaOf = (dir: string): Record<string, Record<string, number | string>> =>
      JSON.parse(readFileSync(path.join(dir, 'tssc-rootfs-meta.json'), 'utf8')).entries;

    it('keeps devices and fifos as placeholders with metadata', async () => {
      const tarFile = path.join(work, 'special.tar');
      writeFileSync(tarFile, await tarBuffer(SPECIAL));
      await createBundle({ dir: bundle, from: tarFile, args: [] });
      const rootfs = path.join(bundle, 'rootfs');
      for (const name of ['dev/null', 'dev/sda', 'run/fifo']) {
        const stat = lstatSync(path.join(rootfs, name));
        expect(stat.isFile()).toBe(true);
        expect(stat.size).toBe(0);
        expect(stat.mode & 0o7777).toBe(0o600);
      }
      const meta = metaOf(bundle);
      expect(meta['/dev/null']).toEqual({ type: 'c', mode: 0o666, major: 1, minor: 3 });
      expect(meta['/dev/null-link']).toEqual({ type: 'c', mode: 0o666, major: 1, minor: 3 });
      expect(meta['/run/fifo']).toEqual({ type: 'p', mode: 0o644 });
      expect(statSync(path.join(rootfs, 'bin', 'su')).mode & 0o7777).toBe(0o4755);
      expect(meta['/bin/su']).toBeUndefined();
      expect(meta['/etc/root-owned']).toBeUndefined();
      if (IS_ROOT) {
        // root can chown: ownership is on disk, not in the side file
        expect(meta['/dev/sda']).toEqual({ type: 'b', mode: 0o660, major: 8, minor: 0 });
        expect(statSync(path.join(rootfs, 'etc', 'www')).uid).toBe(33);
        expect(meta['/etc/www']).toBeUndefined();
        expect(statSync(path.join(rootfs, 'locked')).mode & 0o777).toBe(0o500);
      } else {
        expect(meta['/dev/sda']).toEqual({ type: 'b', mode: 0o660, major: 8, minor: 0, uid: 0, gid: 6 });
        expect(meta['/etc/www']).toEqual({ uid: 33, gid: 33 });
        expect(meta['/locked']).toEqual({ mode: 0o500 });
      }
    });

    it('keeps metadata of lower layers when a later layer restates their directory', async () => {
      const layout = path.join(work, 'layout');
      const upper: TarItem[] = [
        { name: 'dev/', type: 'directory', mode: 0o755 },
        { name: 'dev/zero', type: 'character-device', devmajor: 1, devminor: 5, mode: 0o666 },
      ];
      writeFiles(layout, ociLayoutFiles(IMAGE_CONFIG, [await tarBuffer([...BASE_LAYER, ...SPECIAL]), await tarBuffer(upper)]));
      await createBundle({ dir: bundle, from: layout, args: [] });
      const meta = metaOf(bundle);
      expect(meta['/dev/null']).toEqual({ type: 'c', mode: 0o666, major: 1, minor: 3 });
      expect(meta['/dev/zero']).toEqual({ type: 'c', mode: 0o666, major: 1, minor: 5 });
    });

    it('records ownership and modes as an unprivileged extractor would', async () => {
      const rootfs = path.join(work, 'rootfs');
      mkdirSync(rootfs);
      const meta = new RootfsMeta();
      const writer = new RootfsWriter(rootfs, meta, false);
      await writer.apply(Readable.from([await tarBuffer(SPECIAL)]), { whiteouts: false, source: 'special.tar' });
      writer.finish();
      const entries = meta.toFile().entries;
      expect(entries['/etc/www']).toEqual({ uid: 33, gid: 33 });
      expect(entries['/etc/root-owned']).toBeUndefined();
      expect(entries['/bin/su']).toBeUndefined();
      expect(entries['/dev/sda']).toEqual({ type: 'b', mode: 0o660, major: 8, minor: 0, uid: 0, gid: 6 });
      expect(entries['/locked']).toEqual({ mode: 0o500 });
      expect(entries['/locked/inside']).toBeUndefined();
      // owner keeps rwx on directories so the user can still delete the bundle
      expect(statSync(path.join(rootfs, 'locked')).mode & 0o777).toBe(0o700);
    });

    // Needs root to switch to nobody, who runs a world-readable copy of the build (the
    // checkout may sit under a 0700 directory).
    it.runIf(IS_ROOT)('records ownership and modes when unpacked by an unprivileged user', async () => {
      const copy = worldReadableCopy(mkdtempSync(path.join(tmpdir(), 'tssc-nobody-')));
      chmodSync(copy, 0o755);
      const tarFile = path.join(work, 'special.tar');
      writeFileSync(tarFile, await tarBuffer(SPECIAL));
      chmodSync(work, 0o755);
      const parent = path.join(work, 'unprivileged');
      mkdirSync(parent);
      chownSync(parent, 65534, 65534);
      const dir = path.join(parent, 'bundle');
      const result = runCli(['bundle', 'create', dir, '--from', tarFile], { uid: 65534, gid: 65534 }, path.join(copy, 'bin', 'tssc.js'));
      rmSync(copy, { recursive: true, force: true });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      const meta = metaOf(dir);
      expect(meta['/etc/www']).toEqual({ uid: 33, gid: 33 });
      expect(meta['/etc/root-owned']).toBeUndefined();
      expect(meta['/dev/sda']).toEqual({ type: 'b', mode: 0o660, major: 8, minor: 0, uid: 0, gid: 6 });
      // owner keeps rwx on directories so the user can still delete the bundle
      expect(meta['/locked']).toEqual({ mode: 0o500 });
      expect(statSync(path.join(dir, 'rootfs', 'locked')).mode & 0o777).toBe(0o700);
      expect(statSync(path.join(dir, 'rootfs', 'etc', 'www')).uid).toBe(65534);
    });
  });

  describe('bad sources', () => {
    it('names a missing source', async () => {
      await expect(createBundle({ dir: bundle, from: path.join(work, 'nope.tar'), args: [] })).rejects.toThrow(/--from .*nope\.tar: no such file or directory/);
    });

    it('refuses a directory that is not an image layout', async () => {
      mkdirSync(path.join(work, 'plain'));
      await expect(createBundle({ dir: bundle, from: path.join(work, 'plain'), args: [] })).rejects.toThrow('a directory must be an OCI image layout');
      expect(existsSync(bundle)).toBe(false);
    });

    it('names a file that is not a tar, and a truncated tar', async () => {
      const junk = path.join(work, 'junk.tar');
      writeFileSync(junk, Buffer.alloc(4096, 0x41));
      await expect(createBundle({ dir: bundle, from: junk, args: [] })).rejects.toThrow(/^.*junk\.tar: not a readable tar archive: /);
      const whole = await tarBuffer([{ name: 'big', content: Buffer.alloc(10_000, 1) }]);
      writeFileSync(junk, whole.subarray(0, 4096));
      await expect(createBundle({ dir: bundle, from: junk, args: [] })).rejects.toThrow(/junk\.tar: /);
      const twoEntries = await tarBuffer([{ name: 'a', content: 'a' }, { name: 'b', content: 'b' }]);
      writeFileSync(junk, twoEntries.subarray(0, 1024)); // stops right after the first entry
      await expect(createBundle({ dir: bundle, from: junk, args: [] })).rejects.toThrow(
        /junk\.tar: the archive is truncated \(no end-of-archive marker\)$/,
      );
      expect(existsSync(bundle)).toBe(false);
    });

    it('refuses zstd layers with a clear error', async () => {
      const layout = path.join(work, 'layout');
      writeFiles(layout, ociLayoutFiles(IMAGE_CONFIG, [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0])]));
      await expect(createBundle({ dir: bundle, from: layout, args: [] })).rejects.toThrow('zstd-compressed layers are not supported');
    });

    it('refuses an image without a command unless ARGS are given', async () => {
      const layout = path.join(work, 'layout');
      writeFiles(layout, ociLayoutFiles({}, [await tarBuffer(BASE_LAYER)]));
      await expect(createBundle({ dir: bundle, from: layout, args: [] })).rejects.toThrow('the image sets no Entrypoint or Cmd');
      const created = await createBundle({ dir: bundle, from: layout, args: ['/bin/true'] });
      expect(created.spec.process.args).toEqual(['/bin/true']);
      expect(created.spec.process.cwd).toBe('/');
    });
  });
});
