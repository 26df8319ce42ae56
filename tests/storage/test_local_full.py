"""A local disk that answers ENOSPC: the kernel's /dev/full stands in for a full disk under one key."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from sapan.errors import StorageFull
from sapan.storage.service import Storage


def test_a_disk_with_no_space_left_is_a_full_storage(tmp_path: Path) -> None:
    storage = Storage(str(tmp_path / "files"))
    (tmp_path / "files" / "resources").mkdir()
    os.symlink("/dev/full", tmp_path / "files" / "resources" / "beds.csv")  # every write: ENOSPC
    content = "จังหวัด,จำนวนเตียง\nเชียงใหม่,45\n".encode() * 1000
    with pytest.raises(StorageFull, match="Storage is full: the disk or bucket behind it has no space left"):
        storage.write("resources/beds.csv", io.BytesIO(content), max_bytes=10**7)
    assert not (tmp_path / "files" / "resources" / "beds.csv").is_symlink()  # nothing half-written kept
    assert storage.write("resources/other.csv", io.BytesIO(content), max_bytes=10**7)[0] == len(content)
