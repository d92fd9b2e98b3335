"""The competition admin's model-limits field: each limit and setting a number input, empty ones the defaults."""
from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


# (key, label, integer?) of a competition's model limits and settings, in the order the form shows them.
MODEL_LIMIT_FIELDS = (
    ("wall_seconds", "Wall-clock seconds", True), ("cpu_seconds", "CPU seconds", True),
    ("memory_mb", "Memory (MB)", True), ("batch_size", "Batch size", True), ("output_mb", "Output (MB)", True),
    ("max_length", "Text: max tokens", True), ("confidence", "Detection: confidence ≥", False),
    ("iou", "Detection: NMS IoU", False), ("max_detections", "Detection: max boxes", True),
)


class ModelLimitsWidget(forms.MultiWidget):
    def __init__(self) -> None:
        widgets: dict[str, forms.Widget | type[forms.Widget]] = {
            key: forms.NumberInput(attrs={"step": "1" if whole else "any", "placeholder": "default", "aria-label": label})
            for key, label, whole in MODEL_LIMIT_FIELDS
        }
        super().__init__(widgets)

    def decompress(self, value: Any) -> list[Any]:
        value = value if isinstance(value, dict) else {}
        return [value.get(key) for key, _, _ in MODEL_LIMIT_FIELDS]

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        """Each box with its label (the admin's form renderer knows only Django's own widget templates)."""
        values = value if isinstance(value, list) else self.decompress(value)
        boxes = [
            format_html(
                '<label class="model-limit" for="id_{0}_{1}"><span>{2}</span>{3}</label>',
                name,
                key,
                label,
                widget.render(f"{name}_{key}", item, {"id": f"id_{name}_{key}"}, renderer),
            )
            for (key, label, _), widget, item in zip(MODEL_LIMIT_FIELDS, self.widgets, values)
        ]
        return format_html('<div class="model-limits">{}</div>', mark_safe("".join(boxes)))  # noqa: S308 - escaped above


class ModelLimitsField(forms.MultiValueField):
    """Model limits and settings as number inputs: empty ones keep the platform's defaults."""

    widget = ModelLimitsWidget

    def __init__(self, **kwargs: Any) -> None:
        fields = [forms.IntegerField(required=False) if whole else forms.FloatField(required=False) for _, _, whole in MODEL_LIMIT_FIELDS]
        super().__init__(fields, require_all_fields=False, required=False, **kwargs)

    def compress(self, data_list: list[Any]) -> dict[str, Any]:
        return {key: value for (key, _, _), value in zip(MODEL_LIMIT_FIELDS, data_list or []) if value is not None}


class MetricSelect(forms.Select):
    """The ranking metric, each option marked with the task types it ranks (`data-tasks`): the admin's script
    shows only the chosen task's (a text competition is never offered Dice); the declared metrics of a
    competition scored by its own program are marked `custom`."""

    def __init__(self, tasks_of: dict[str, list[str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tasks_of = tasks_of

    def create_option(self, name: str, value: Any, label: Any, selected: Any, index: int, subindex: int | None = None,
                      attrs: dict[str, Any] | None = None) -> dict[str, Any]:
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value:
            option["attrs"]["data-tasks"] = " ".join(self.tasks_of.get(str(value), ["custom"]))
        return option
