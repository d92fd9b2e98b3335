"""Competition bundles (SPEC section 4): a folder or .zip with competition.yaml, the truth, public/ and, where models
are taken, test_inputs/.

unpack.py makes a zip a folder within bounds; spec.py validates everything and touches nothing; importer.py
creates or updates the competition by slug in one transaction, only after validation passed; export.py writes a
competition back as a bundle.
"""
from __future__ import annotations

from competitions.bundles.export import competition_export_bundle
from competitions.bundles.importer import competition_import_bundle
from competitions.bundles.spec import BundleError, BundleSpec, bundle_validate
from competitions.bundles.unpack import bundle_folder

__all__ = ["BundleError", "BundleSpec", "bundle_folder", "bundle_validate", "competition_export_bundle",
           "competition_import_bundle"]
