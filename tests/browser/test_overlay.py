"""A detection submission's page shows its predictions drawn on a public image with objects in it: in Chromium,
the overlay loads and the boxes' colour is on it."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from django.core.files import File

from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BOX_PIXELS = """() => {
  const img = document.querySelector('figure.overlay img');
  if (!img || !img.complete || !img.naturalWidth) return -1;
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(img, 0, 0);
  const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let found = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] === 0xff && data[i + 1] === 0x4d && data[i + 2] === 0x4f) found++;
  return found;
}"""


def test_the_overlay_draws_the_predictions_on_a_busy_public_image(live_server, page, alice, tmp_path: Path) -> None:
    from competitions.bundles import competition_import_bundle
    from competitions.demo_data import detection_bundle
    from submissions.models import Submission
    from teams.services import membership_join

    bundle = detection_bundle(tmp_path / "det", n_train=2, n_test=12)
    competition, _ = competition_import_bundle(path=bundle.path, publish=True)
    team = membership_join(competition=competition, user=alice, accept_rules=True).team
    truth = json.loads((bundle.path / "truth.json").read_text())
    public = [image["id"] for image in truth["images"] if image["usage"] == "Public"]
    counts = Counter(a["image_id"] for a in truth["annotations"])
    # A box on every public image, of the first category (drawn in the first colour, #ff4d4f): whichever image
    # is drawn shows one.
    first = min(c["id"] for c in truth["categories"])
    predictions = tmp_path / "predictions.json"
    predictions.write_text(json.dumps([{"image_id": i, "category_id": first, "bbox": [2, 2, 20, 20], "score": 0.9}
                                       for i in public]))
    submission = Submission(competition=competition, team=team, status="scored", public_score=0.1,
                            public_scores={"map": 0.1})
    with open(predictions, "rb") as handle:
        submission.file.save(predictions.name, File(handle), save=True)
    assert max(counts[i] for i in public) > 0
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/submissions/{submission.pk}/")
    page.wait_for_function("() => { const i = document.querySelector('figure.overlay img'); return i && i.complete; }")
    assert page.evaluate(BOX_PIXELS) > 50  # loaded, and the box is on it
