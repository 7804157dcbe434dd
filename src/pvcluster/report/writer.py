"""Write a run's output folder atomically, and never touch what pvcluster did not write.

Everything is written into a temporary sibling folder first; only when all files are complete is it
renamed into place. A crash at any point leaves either the old complete folder or the new complete
folder, never a half-written one (plus, at worst, a hidden ``.<name>.tmp-*`` folder with pvcluster's
marker in it, which the next run into the same folder clears).

The output path is the user's property (``check_target``):

* a new path, or an empty folder: written;
* a folder a previous pvcluster run wrote (its ``manifest.json`` lists every file in it): replaced;
* anything else - a folder with other files, a file, a symbolic link, a path under a file, a folder
  that cannot be written - is an :class:`~pvcluster.errors.InputError` (exit 2) naming the path, and
  nothing is touched.

Two runs into the same folder take turns: the write holds an exclusive lock on the parent folder
(``flock`` on the directory itself, so no lock file is left behind); the second waits for the first
to finish, then replaces its output.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from pvcluster.errors import InputError, Problem

MARKER = ".pvcluster-writing"  # inside a temporary folder: pvcluster's own, safe to clear
LOCK_TIMEOUT_S = 900.0


def _problem(target: Path, expected: str, found: str, option: str = "--out") -> InputError:
    return InputError(Problem(str(target), option, expected, found), headline="cannot write the outputs")


def _written_by_pvcluster(folder: Path) -> tuple[bool, list[str]]:
    """(holds a pvcluster manifest, files in the folder the manifest does not list)."""
    manifest = folder / "manifest.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False, []
    if not isinstance(data, dict) or "pvcluster_version" not in data or not isinstance(data.get("files"), list):
        return False, []
    listed = set(data["files"]) | {"manifest.json"}
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() or p.is_symlink()}
    return True, sorted(present - listed)


def check_target(target: Path) -> None:
    """Raise InputError unless pvcluster may write ``target`` (see the module docstring)."""
    target = Path(target)
    try:
        _check_target(target)
    except OSError as exc:  # a name too long, a folder that cannot be read ...
        raise _os_error(target, exc) from None


def _check_target(target: Path) -> None:
    expected = ("a new folder, an empty one, or one a previous pvcluster run wrote (with its manifest.json "
                "listing every file in it)")
    if target.is_symlink():
        raise _problem(target, "a folder path that is not a symbolic link", f"a link to {os.readlink(target)}")
    if target.exists() and not target.is_dir():
        raise _problem(target, expected, "a file")
    for parent in target.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise _problem(target, "a path under a folder", f"a path under the file {parent}")
            if not os.access(parent, os.W_OK | os.X_OK):  # found now, not after the run has computed
                raise _problem(target, "a folder pvcluster can create and write",
                               f"no permission to write in {parent}")
            break
    if target.is_dir():
        if target.resolve() == Path.cwd().resolve():
            raise _problem(target, expected, "the current folder")
        entries = list(target.iterdir())
        if entries:
            ours, extra = _written_by_pvcluster(target)
            if not ours:
                shown = ", ".join(sorted(e.name for e in entries)[:5]) + (" ..." if len(entries) > 5 else "")
                raise _problem(target, expected, f"a folder that pvcluster did not write ({shown})")
            if extra:
                raise _problem(target, expected, "a previous run's folder with files added since: "
                               + ", ".join(extra[:5]) + (" ..." if len(extra) > 5 else ""))


def check_output_file(path, option: str, first_line: str = "") -> None:
    """Raise InputError unless pvcluster may write the single file ``path`` (given as ``option``): a new
    file in an existing folder, or a file pvcluster wrote before (its first line starts with
    ``first_line``). Never a folder, a symbolic link, a path under a file or another program's file."""
    path = Path(path)

    def bad(expected: str, found: str) -> InputError:
        return InputError(Problem(str(path), option, expected, found), headline="cannot write the file")

    try:
        if path.is_symlink():
            raise bad("a file path that is not a symbolic link", f"a link to {os.readlink(path)}")
        if path.is_dir():
            raise bad("a file name", "a folder")
        parent = path.absolute().parent
        if not parent.is_dir():
            raise bad("a file in an existing folder",
                      "a path under a file" if parent.exists() else f"no folder {parent}")
        if path.exists():
            with path.open("rb") as f:
                head = f.read(len(first_line.encode()) or 1)
            if not first_line or head != first_line.encode():
                raise bad(f"a new file, or one pvcluster wrote (starting {first_line!r})",
                          "an existing file pvcluster did not write")
        if not os.access(parent, os.W_OK):
            raise bad("a file in a folder pvcluster can write", "no permission to write there")
    except OSError as exc:
        raise _os_error(path, exc, option) from None


@contextlib.contextmanager
def _locked(parent: Path, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """An exclusive lock on the folder ``parent`` (waits while another run writes there)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, the rename is still atomic
        yield
        return
    fd = os.open(parent, os.O_RDONLY)
    try:
        start = time.monotonic()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() - start > timeout_s:
                    raise _problem(parent, f"no other run writing here for more than {timeout_s:g} s",
                                   "another run still writing") from None
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)  # releases the lock


def _os_error(target: Path, exc: OSError, option: str = "--out") -> InputError:
    what = {errno.EACCES: "no permission to write there", errno.EPERM: "no permission to write there",
            errno.EROFS: "a read-only file system", errno.ENAMETOOLONG: "a name too long for the file system",
            errno.ENOSPC: "no space left on the device", errno.ENOTDIR: "a path under a file"}
    return _problem(target, "a folder pvcluster can create and write", what.get(exc.errno, f"{exc.strerror}"),
                    option)


@contextlib.contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Yield a temporary folder; on success it becomes ``target`` (checked first with :func:`check_target`)."""
    target = Path(target)
    check_target(target)
    target = target.absolute()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _locked(target.parent):
            check_target(target)  # again, now that no other run writes here
            for stale in target.parent.glob(f".{target.name}.tmp-*"):
                if stale.is_dir() and not stale.is_symlink() and (stale / MARKER).is_file():
                    shutil.rmtree(stale, ignore_errors=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
            (tmp / MARKER).write_text("a pvcluster run writes here; the next run may remove this folder\n")
            try:
                yield tmp
                (tmp / MARKER).unlink()
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            old = None
            if target.is_dir() and any(target.iterdir()):
                old = target.parent / f".{target.name}.tmp-old-{os.getpid()}"
                os.replace(target, old)
            os.replace(tmp, target)  # replaces an empty folder in place
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        raise _os_error(target, exc) from None
