"""``--save DIR``: stream each successful body to ``DIR/<host>/<path>``.

Three promises shape this package:

* Nothing is written outside DIR, whatever the URL (:mod:`~fetchall.saving.names` makes
  every name safe) and whatever DIR holds: every file and folder is made, opened, moved and
  removed by :mod:`~fetchall.saving.nofollow`, which never follows a symbolic link.
* A body appears under its name only once complete (:mod:`~fetchall.saving.store`), so a
  failed, cancelled or interrupted download leaves nothing.
* In ``all`` mode nothing appears in DIR unless every job succeeded
  (:mod:`~fetchall.saving.bodies`).
"""

from fetchall.saving.bodies import BodyStore
from fetchall.saving.names import host_folder, relative_path, safe_name, usual_file_mode
from fetchall.saving.store import FileSink, SaveFailed

__all__ = [
    "BodyStore",
    "FileSink",
    "SaveFailed",
    "host_folder",
    "relative_path",
    "safe_name",
    "usual_file_mode",
]
