"""Data action files a flow's callData actions resolve to, by integration (category) and action name."""

from __future__ import annotations

from pathlib import Path

from architect.genesys.data_action_format import action_key
from architect.runtime.actions import ActionDefinitionError, load_action

class ActionLookupError(LookupError):
    """No (or more than one) action file matches a callData reference."""


class ActionRegistry:
    """Action files under a folder: `DIR/*.json` serve any category, `DIR/<category>/*.json` only that one.

    An action file does not say which integration instance holds it (the export has the integration type, not
    the instance name), so a subfolder named after the integration is how to pin an action to a category.
    """

    def __init__(self, folder: str | Path | None):
        self.folder = Path(folder) if folder is not None else None
        self._any: dict[str, list[tuple[Path, dict]]] = {}
        self._by_category: dict[str, dict[str, list[tuple[Path, dict]]]] = {}
        if self.folder is None:
            return
        if not self.folder.is_dir():
            raise ActionLookupError(f"{self.folder}: the actions folder does not exist or is not a folder")
        for path in sorted(self.folder.glob("*.json")):
            self._add(self._any, path)
        for sub in sorted(p for p in self.folder.iterdir() if p.is_dir()):
            table = self._by_category.setdefault(sub.name.casefold(), {})
            for path in sorted(sub.glob("*.json")):
                self._add(table, path)

    @staticmethod
    def _add(table: dict, path: Path) -> None:
        try:
            action = load_action(path)
        except ActionDefinitionError as exc:
            raise ActionLookupError(str(exc)) from None
        table.setdefault(action_key(action["name"]), []).append((path, action))

    def names(self) -> list[str]:
        """The names of the actions in the folder, any integration, sorted."""
        return sorted({action["name"] for table in (self._any, *self._by_category.values())
                       for entries in table.values() for _path, action in entries})

    def resolve(self, category: str, name: str) -> tuple[Path, dict]:
        """(file, action) for `category` / `name`; ActionLookupError says what is there when nothing matches."""
        key = action_key(name)
        candidates = self._by_category.get(category.casefold(), {}).get(key) or self._any.get(key) or []
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            if self.folder is None:
                raise ActionLookupError(f"data action {name!r} (integration {category!r}) not found: no actions "
                                        "folder was given (companion simulate --actions DIR)")
            raise ActionLookupError(f"data action {name!r} (integration {category!r}) not found in {self.folder}; "
                                    f"actions there: {', '.join(self.names()) or 'none'}")
        files = ", ".join(str(path) for path, _action in candidates)
        raise ActionLookupError(f"data action {name!r} matches several files: {files}; put each in a subfolder "
                                "named after its integration (the callData category)")
