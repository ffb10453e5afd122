"""The search document of an image, assembled from the other stages' events.

Pure functions, no engine: `section(event)` turns one event into the part of
the document it owns, `merge(doc, ...)` folds that part in. Each part (a
"section") keeps when its fact happened in `at.<section>`, so events may
arrive in any order, or twice: an older fact never replaces a newer one, and
the same fact twice changes nothing. A delete leaves a tombstone that no
later (or redelivered) event can bring back.

A delete is soft: the `lifecycle` section marks the document `deleted`
(searches skip it) and a later restore clears the mark, the newer fact
winning as for every section. A purge leaves a tombstone that no later
(or redelivered) event can bring back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from schemas.events import (
    Event,
    ImageDeleted,
    ImageMetadata,
    ImagePurged,
    ImageRestored,
    ImageUpdated,
    ImageUploaded,
    MetadataExtracted,
    TagsDetected,
    VariantsReady,
)

# The sections whose presence makes an image ready (defined once, here).
READY_WHEN = ("variants", "metadata", "tags")
PURGED = "purged"

Doc = dict[str, Any]
Section = tuple[str, Doc]  # (section name, the fields it sets)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def user_fields(owner: str, visibility: str, title: str | None, description: str | None,
                tags: list[str], org: str | None = None, shared_with: list[str] | tuple[str, ...] = (),
                albums: list[str] | tuple[str, ...] = ()) -> Doc:
    """What the owner controls (upload form or edit): words, visibility, who
    else may see it (org, collaborators) and its albums."""
    return {"owner": owner, "visibility": visibility, "title": title, "description": description,
            "tags": list(tags), "org": org, "shared_with": list(shared_with), "albums": list(albums)}


def uploaded_fields(event: ImageUploaded) -> Doc:
    return {"owner": event.owner, "created_at": _iso(event.occurred_at), "mime_type": event.mime_type,
            "format": event.mime_type.partition("/")[2] or event.mime_type, "byte_size": event.byte_size,
            "keep_gps": event.keep_gps, **dimensions(event.width, event.height)}


def dimensions(width: int | None, height: int | None) -> Doc:
    if not width or not height:
        return {}
    shape = "landscape" if width > height else "portrait" if height > width else "square"
    return {"width": width, "height": height, "orientation": shape}


def camera_name(make: str | None, model: str | None) -> str | None:
    """"Canon" + "Canon EOS R5" is "Canon EOS R5", not "Canon Canon EOS R5"."""
    make, model = (make or "").strip(), (model or "").strip()
    if make and model.lower().startswith(make.lower()):
        return model
    return " ".join(p for p in (make, model) if p) or None


def metadata_fields(metadata: ImageMetadata) -> Doc:
    fields: Doc = {
        "camera": camera_name(metadata.camera_make, metadata.camera_model),
        "camera_make": metadata.camera_make, "camera_model": metadata.camera_model,
        "lens": metadata.lens, "taken_at": taken_at(metadata.taken_at),
        "location": ({"lat": metadata.gps.latitude, "lon": metadata.gps.longitude}
                     if metadata.gps is not None else None),
        **dimensions(metadata.width, metadata.height),
    }
    if metadata.mime_type:
        fields["format"] = metadata.mime_type.partition("/")[2] or metadata.mime_type
    return fields


def taken_at(value: str | None) -> str | None:
    """The EXIF date as ISO 8601, or None when it does not parse (it is the
    file's word, not ours: a bad one must not make the document unwritable)."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        return None


Sectioner = Callable[[Any, Doc | None], Doc]
# Each input event of the document, and the section it owns: the indexing
# stage reads exactly these topics (streams/indexing.py derives them from here).
SECTIONS: dict[type[Event], tuple[str, Sectioner]] = {
    ImageUploaded: ("uploaded", lambda e, user: {**uploaded_fields(e), **(user or {})}),
    VariantsReady: ("variants", lambda e, _: {"variants": [v.model_dump() for v in e.variants],
                                              "placeholder": e.placeholder,
                                              "dominant_color": e.dominant_color}),
    MetadataExtracted: ("metadata", lambda e, _: metadata_fields(e.metadata)),
    TagsDetected: ("tags", lambda e, _: {
        "model": e.model, "labels": " ".join(t.tag for t in e.labels) or None,
        "model_tags": [{"tag": t.tag, "confidence": t.confidence, "source": t.source} for t in e.tags]}),
    ImageUpdated: ("user", lambda e, _: user_fields(e.owner, e.visibility, e.title, e.description, e.tags,
                                                    e.org, e.shared_with, e.albums)),
    ImageDeleted: ("lifecycle", lambda e, _: {"deleted": True}),
    ImageRestored: ("lifecycle", lambda e, _: {"deleted": False}),
    ImagePurged: (PURGED, lambda e, _: {}),
}


def section(event: Event, user: Doc | None = None) -> Section:
    """The section `event` owns. An upload's user section comes from the
    record (`user`), since the upload event does not carry the form's text."""
    found = SECTIONS.get(type(event))
    if found is None:
        raise TypeError(f"no section for {type(event).__name__}")
    name, fields = found
    return name, fields(event, user)


def merge(doc: Doc, image_id: str, name: str, fields: Doc, occurred_at: datetime) -> Doc | None:
    """`doc` with the section folded in, or None when nothing changes: the
    image is purged, or the section already holds this fact or a newer one."""
    at = dict(doc.get("at") or {})
    if PURGED in at:
        return None
    when = _iso(occurred_at)
    if name == PURGED:
        # A tombstone: nothing of the image stays searchable, nothing brings it back.
        return {"id": image_id, "owner": doc.get("owner"), "at": {PURGED: when}}
    # The uploaded section also sets the user fields; a later edit (section
    # "user") wins over them, whatever the order they arrive in.
    stamp = "user" if name == "uploaded" and "owner" in fields else None
    if name in at and datetime.fromisoformat(at[name]) >= occurred_at:
        return None
    new = {**doc, "id": image_id}
    if stamp and stamp in at and datetime.fromisoformat(at[stamp]) >= occurred_at:
        fields = {k: v for k, v in fields.items() if k not in USER_KEYS or k == "owner"}
    elif stamp:
        at[stamp] = when
    new.update(fields)
    at[name] = when
    new["at"] = at
    new["date"] = new.get("taken_at") or new.get("created_at")
    new["all_tags"] = sorted({*(new.get("tags") or []), *(t["tag"] for t in new.get("model_tags") or [])})
    return {k: v for k, v in new.items() if v is not None}


USER_KEYS = frozenset(user_fields("", "", None, None, []))


def is_complete(doc: Doc) -> bool:
    at = doc.get("at") or {}
    return PURGED not in at and not doc.get("deleted") and all(s in at for s in READY_WHEN)
