"""Imports a folder or a zip of activity files (a Strava or Garmin bulk export)."""

from __future__ import annotations

import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from athletes import files
from athletes.models import User
from athletes.services import imports

STALL_SECONDS = 300


def _candidates(path: Path) -> Iterator[tuple[str, Any]]:
    """(name, a callable returning the bytes) for each activity file in a folder or zip."""
    if path.is_dir():
        for item in sorted(path.rglob("*")):
            if item.is_file() and item.name.lower().endswith(files.SUFFIXES):
                yield item.name, item.read_bytes
        return
    if zipfile.is_zipfile(path):
        yield from files.zip_members(zipfile.ZipFile(path))
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
        progress = tqdm(total=len(candidates), desc="Importing", unit="file", file=self.stderr._out)
        batch = imports.import_batch_start(
            user=user,
            members=candidates,
            allow_overlap=options["allow_overlap"],
            sent=lambda batch: self._advance(progress, batch),
        )
        self._wait(progress, batch)
        progress.close()
        batch.refresh_from_db()
        for line in batch.problems:
            self.stderr.write(f"rejected {line}" if ": imported, but" not in line else line)
        self.stdout.write(
            f"{batch.imported} imported, {batch.duplicate} duplicate, {batch.rejected} rejected"
        )

    def _advance(self, progress: Any, batch: Any) -> int:
        done = type(batch).objects.filter(pk=batch.pk).values_list("done", flat=True).get()
        progress.update(done - progress.n)
        return done

    def _wait(self, progress: Any, batch: Any) -> None:
        """Until every file has ended, or nothing has moved for `STALL_SECONDS`."""
        last, since = -1, time.monotonic()
        while (done := self._advance(progress, batch)) < batch.total:
            if done != last:
                last, since = done, time.monotonic()
            elif time.monotonic() - since > STALL_SECONDS:
                raise CommandError(
                    f"{batch.total - done} files are still queued with no worker taking them "
                    f"(import {batch.public_id}); start a worker (`make worker`) and they go on"
                )
            time.sleep(0.2)
