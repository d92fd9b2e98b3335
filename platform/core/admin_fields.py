"""Admin form fields every app's admin uses: accounts by exact username (an organizer's forms never list every
account on the site), lines of text, and a file input that keeps its upload when the form comes back with errors."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.safestring import SafeString


def _username_of(value: Any) -> str:
    if hasattr(value, "get_username"):
        return value.get_username()
    user = get_user_model().objects.filter(pk=value).first() if value not in (None, "") else None
    return user.get_username() if user else str(value or "")


class UsernameField(forms.CharField):
    """One account, by its exact username."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "The exact username.")
        super().__init__(max_length=150, **kwargs)

    def prepare_value(self, value: Any) -> str:
        return value if isinstance(value, str) else _username_of(value)

    def clean(self, value: Any) -> Any:
        name = super().clean(value).strip()
        if not name:
            return None
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise ValidationError(f"No account is named {name[:80]!r}.")
        return user


class UsernamesField(forms.CharField):
    """Several accounts, by exact usernames separated by commas."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "Exact usernames, separated by commas.")
        super().__init__(max_length=2000, **kwargs)

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        return ", ".join(_username_of(item) for item in (value or []))

    def clean(self, value: Any) -> Any:
        names = [name.strip() for name in (super().clean(value) or "").split(",") if name.strip()]
        users = list(get_user_model().objects.filter(username__in=names))
        unknown = sorted(set(names) - {user.get_username() for user in users})
        if unknown:
            raise ValidationError(f"No account is named {', '.join(repr(n[:80]) for n in unknown[:5])}.")
        return users


class LinesField(forms.CharField):
    """A list of short texts, one per line (class names, in the order models output them)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4, "cols": 40}))
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> str:
        return "\n".join(str(item) for item in value) if isinstance(value, list) else (value or "")

    def clean(self, value: Any) -> list[str]:
        lines = [line.strip() for line in (super().clean(value) or "").splitlines() if line.strip()]
        too_long = [line for line in lines if len(line) > 100]
        if too_long:
            raise ValidationError(f"A class name has at most 100 characters: {too_long[0][:40]!r}…")
        if len(set(lines)) != len(lines):
            raise ValidationError("Each class is named once.")
        return lines


KEPT_PREFIX = "admin-kept"
KEPT_SALT = "podium.admin.kept-upload"
KEPT_SECONDS = 86_400


def keep_upload(upload: Any) -> str:
    """Store an uploaded file aside (in the default storage) and return a signed token that finds it again."""
    import secrets
    import time

    from django.core import signing
    from django.core.files.storage import default_storage

    _forget_old_uploads()
    name = default_storage.save(f"{KEPT_PREFIX}/{int(time.time())}-{secrets.token_hex(8)}/{Path(upload.name).name}",
                                upload)
    upload.seek(0)
    return signing.dumps(name, salt=KEPT_SALT)


def kept_upload(token: str) -> Any:
    """The file a token from `keep_upload` names, or None (a forged, expired or vanished token)."""
    from django.core import signing
    from django.core.files import File
    from django.core.files.storage import default_storage

    try:
        name = signing.loads(token, salt=KEPT_SALT, max_age=KEPT_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(name, str) or not name.startswith(f"{KEPT_PREFIX}/") or not default_storage.exists(name):
        return None
    return File(default_storage.open(name, "rb"), name=Path(name).name)


def _forget_old_uploads() -> None:
    import time

    from django.core.files.storage import default_storage

    try:
        folders, _ = default_storage.listdir(KEPT_PREFIX)
    except (FileNotFoundError, OSError):
        return
    for folder in folders:
        stamp = folder.split("-", 1)[0]
        if stamp.isdigit() and int(stamp) < time.time() - KEPT_SECONDS:
            from core.storage import delete_folder

            delete_folder(default_storage, f"{KEPT_PREFIX}/{folder}")


class KeptFileInput(forms.ClearableFileInput):
    """A file input that keeps what was uploaded when the form comes back with errors elsewhere: the file waits
    aside under a signed token, and the next submission uses it unless another file is chosen or it is cleared."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        upload = super().value_from_datadict(data, files, name)
        self.kept = None
        if upload is not None and upload is not False and hasattr(upload, "chunks"):
            self.kept = (keep_upload(upload), Path(upload.name).name)
            return upload
        token = data.get(f"{name}__kept")
        if upload is not False and token:  # False: "clear" was ticked
            kept = kept_upload(token)
            if kept is not None:
                self.kept = (token, kept.name)
                return kept
        return upload

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        html = super().render(name, value, attrs, renderer)
        kept = getattr(self, "kept", None)
        if not kept:
            return html
        note = format_html('<input type="hidden" name="{}__kept" value="{}"><div class="help kept-upload">Kept from your '
                           'last try: <strong>{}</strong>. It is saved with the form unless you choose another file.'
                           '</div>', name, kept[0], kept[1])
        return html + note
