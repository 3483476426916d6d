"""Packs a built kubelint binary as a release asset, the file users and the GitHub Action
download: `kubelint-VERSION-TARGET.tar.gz` (`.zip` for Windows) holding one folder of the same
name with the binary, both licence files and the README, plus `ARCHIVE.sha256` (`HASH  NAME`,
the line `sha256sum -c` reads). Python, not shell, because the release runs it on Linux, macOS
and Windows alike. The GitHub Action (scripts/action.sh) and .ci/action.sh rely on these names.

    python3 scripts/release-archive.py TARGET BINARY OUT_DIR
"""

import hashlib
import io
import pathlib
import sys
import tarfile
import tomllib
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXTRA_FILES = ["LICENSE-MIT", "LICENSE-APACHE", "README.md"]


def members(binary: pathlib.Path, windows: bool) -> list[tuple[str, bytes, int]]:
    """(name inside the folder, bytes, mode) of every file the archive holds."""
    name = "kubelint.exe" if windows else "kubelint"
    files = [(name, binary.read_bytes(), 0o755)]
    files += [(extra, (ROOT / extra).read_bytes(), 0o644) for extra in EXTRA_FILES]
    return files


def write_tar(path: pathlib.Path, folder: str, files: list[tuple[str, bytes, int]]) -> None:
    with tarfile.open(path, "w:gz") as archive:
        for name, data, mode in files:
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size, info.mode = len(data), mode
            archive.addfile(info, io.BytesIO(data))


def write_zip(path: pathlib.Path, folder: str, files: list[tuple[str, bytes, int]]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data, mode in files:
            info = zipfile.ZipInfo(f"{folder}/{name}")
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    target, binary, out_dir = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
    version = tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]["version"]
    windows = "windows" in target
    folder = f"kubelint-{version}-{target}"
    archive = out_dir / (folder + (".zip" if windows else ".tar.gz"))
    out_dir.mkdir(parents=True, exist_ok=True)
    (write_zip if windows else write_tar)(archive, folder, members(binary, windows))
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    checksum = archive.with_name(archive.name + ".sha256")
    checksum.write_text(f"{digest}  {archive.name}\n", newline="\n")
    print(archive)


if __name__ == "__main__":
    main()
