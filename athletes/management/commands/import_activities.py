"""Imports a folder or a zip of activity files (a Strava or Garmin bulk export)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from astral.api.errors import ApiError
from athletes import files, services
from athletes.models import User

SUFFIXES = tuple(s for ext in files.SUPPORTED for s in (ext, ext + ".gz"))
MAX_MEMBER_BYTES = 100 * 1024 * 1024


def _candidates(path: Path) -> Iterator[tuple[str, Any]]:
    """(name, a callable returning the bytes) for each activity file in a folder or zip."""
    if path.is_dir():
        for item in sorted(path.rglob("*")):
            if item.is_file() and item.name.lower().endswith(SUFFIXES):
                yield item.name, item.read_bytes
        return
    if zipfile.is_zipfile(path):
        archive = zipfile.ZipFile(path)
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if not info.is_dir() and info.filename.lower().endswith(SUFFIXES):
                if info.file_size > MAX_MEMBER_BYTES:
                    yield info.filename, lambda: b""  # rejected as empty, not read
                else:
                    yield info.filename, lambda info=info: archive.read(info)
        return
    if path.is_file():
        yield path.name, path.read_bytes
        return
    raise CommandError(f"{path} is not a folder, a zip file or an activity file")


class Command(BaseCommand):
    help = "Imports FIT/GPX/TCX files (optionally .gz) from a folder or zip for one athlete."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--user", required=True, help="the athlete's e-mail address")
        parser.add_argument("--allow-overlap", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["user"]).first()
        if user is None:
            raise CommandError(f"no user with e-mail {options['user']}")
        path: Path = options["path"]
        if not path.exists():
            raise CommandError(f"{path} does not exist")
        candidates = list(_candidates(path))
        counts = {"imported": 0, "duplicate": 0, "rejected": 0}
        rejected: list[str] = []
        for name, read in tqdm(candidates, desc="Importing", unit="file", file=self.stderr._out):
            try:
                imported = services.activity_import_file(
                    user=user, filename=name, content=read(), allow_overlap=options["allow_overlap"]
                )
                counts["imported"] += 1
                if imported.warning:
                    rejected.append(f"{name}: imported, but {imported.warning}")
            except ApiError as exc:
                if exc.code != "DUPLICATE_ACTIVITY":
                    raise
                counts["duplicate"] += 1
            except (files.InvalidActivityFile, files.UnsupportedFileType) as exc:
                counts["rejected"] += 1
                rejected.append(f"{name}: {exc}")
        for line in rejected:
            self.stderr.write(f"rejected {line}")
        self.stdout.write(
            f"{counts['imported']} imported, {counts['duplicate']} duplicate, {counts['rejected']} rejected"
        )
