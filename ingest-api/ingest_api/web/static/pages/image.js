// One photo: the variant that fits the screen, its words, the owner's tags
// and the model's told apart, camera facts, the place on a small map (only
// when the API shows the location to this viewer) and the albums it is in;
// for its owner, the edit form, visibility, a share link with an expiry,
// adding to an album, delete and restore.

import { albumItem, api, header, notice, session } from "/static/api.js";
import { picture } from "/static/grid.js";
import { locationMap } from "/static/map.js";

header();
const imageId = document.getElementById("photo").dataset.imageId;
const SIZES = "(max-width: 1100px) 100vw, 1100px";

function fact(list, term, value) {
  if (value === null || value === undefined || value === "") return;
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = value;
  list.append(dt, dd);
}

function show(image) {
  document.title = `${image.title || "Photo"} · Darkroom`;
  document.getElementById("title").textContent = image.title || "Untitled photo";
  document.getElementById("description").textContent = image.description || "";
  document.getElementById("status").textContent =
    image.status === "failed" ? `Failed: ${image.reason} (${image.failure_code})` : `${image.status} · ${image.visibility}`;
  document.getElementById("figure").replaceChildren(picture(image, SIZES, { lazy: false }));
  const facts = document.getElementById("facts");
  facts.replaceChildren();
  fact(facts, "Owner", image.owner);
  fact(facts, "Size", `${image.width} × ${image.height}${image.frames > 1 ? `, ${image.frames} frames` : ""}`);
  fact(facts, "Format", `${image.mime_type}, ${(image.byte_size / 1e6).toFixed(2)} MB`);
  fact(facts, "Uploaded", new Date(image.created_at).toLocaleString());
}

async function metadata() {
  try {
    const { metadata: m } = await api(`/v1/images/${imageId}/metadata`);
    const facts = document.getElementById("camera");
    fact(facts, "Camera", [m.camera_make, m.camera_model].filter(Boolean).join(" "));
    fact(facts, "Lens", m.lens);
    const exposure = [
      m.exposure_time_s && (m.exposure_time_s < 1 ? `1/${Math.round(1 / m.exposure_time_s)} s` : `${m.exposure_time_s} s`),
      m.f_number && `f/${m.f_number}`, m.iso && `ISO ${m.iso}`, m.focal_length_mm && `${m.focal_length_mm} mm`,
    ].filter(Boolean).join(" · ");
    fact(facts, "Exposure", exposure);
    fact(facts, "Taken", m.taken_at);
    // The API leaves the location out unless this viewer may see it.
    if (m.gps) place(m.gps.latitude, m.gps.longitude);
  } catch {
    /* not read yet, or not for this viewer */
  }
}

async function place(lat, lon) {
  document.getElementById("coordinates").textContent = `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
  document.getElementById("osm").href =
    `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=12/${lat}/${lon}`;
  document.getElementById("map").replaceChildren(await locationMap(lat, lon));
  document.getElementById("location").hidden = false;
}

// The owner's tags, and what the classifier saw with its confidence, apart.
async function tags() {
  const list = document.getElementById("tags");
  try {
    const found = await api(`/v1/images/${imageId}/tags`);
    list.replaceChildren();
    fact(list, "Tags", found.tags.join(", ") || "none");
    const seen = found.model_tags.map((t) => `${t.tag} (${Math.round(100 * t.confidence)} %)`).join(", ");
    fact(list, "Seen by the model", found.model ? seen || "nothing it knows" : "not looked at yet");
    list.lastElementChild.classList.add("model");
  } catch {
    /* the search index is away: the page goes on without them */
  }
}

// The albums this viewer may see that hold the photo; the owner may take it out.
async function albums(owner) {
  const found = await api(`/v1/images/${imageId}/albums`);
  const list = document.getElementById("album-list");
  list.replaceChildren();
  for (const album of found) {
    const item = albumItem(album);
    if (owner) {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link";
      remove.textContent = "remove";
      remove.setAttribute("aria-label", `Remove from ${album.name}`);
      remove.addEventListener("click", async () => {
        try {
          await api(`/v1/albums/${album.id}/images`, { method: "POST", json: { remove: [imageId] } });
          notice(`Removed from ${album.name}.`);
          await albumPicker();
        } catch (error) {
          notice(`${error.message} (${error.code})`, "error");
        }
      });
      item.append(" ", remove);
    }
    list.append(item);
  }
  document.getElementById("albums").hidden = found.length === 0;
  return found;
}

function ownerTools(image) {
  document.getElementById("owner-tools").hidden = false;
  const edit = document.getElementById("edit");
  edit.elements.title.value = image.title || "";
  edit.elements.description.value = image.description || "";
  edit.elements.tags.value = image.tags.join(", ");
  edit.elements.visibility.value = image.visibility;
  edit.addEventListener("submit", async (event) => {
    event.preventDefault();
    const tags = edit.elements.tags.value.split(",").map((t) => t.trim()).filter(Boolean);
    try {
      show(await api(`/v1/images/${imageId}`, { method: "PATCH", json: {
        title: edit.elements.title.value, description: edit.elements.description.value, tags,
        visibility: edit.elements.visibility.value,
      } }));
      tags();
      notice("Saved.");
    } catch (error) {
      notice(`${error.message} (${error.code})`, "error");
    }
  });
  // The visibility switch takes effect at once.
  edit.elements.visibility.addEventListener("change", async () => {
    try {
      show(await api(`/v1/images/${imageId}`, { method: "PATCH", json: { visibility: edit.elements.visibility.value } }));
      notice(`Now ${edit.elements.visibility.value}.`);
    } catch (error) {
      notice(`${error.message} (${error.code})`, "error");
    }
  });

  const share = document.getElementById("share");
  share.addEventListener("submit", async (event) => {
    event.preventDefault();
    const seconds = Number(share.elements.amount.value) * Number(share.elements.unit.value);
    try {
      const made = await api(`/v1/images/${imageId}/shares`, { method: "POST", json: {
        expires_in_s: Math.round(seconds), permission: share.elements.edit.checked ? "edit" : "view",
      } });
      document.getElementById("share-url").value = `${location.origin}/s/${made.token}`;
      document.getElementById("share-expiry").textContent = `expires ${new Date(made.expires_at).toLocaleString()}`;
      document.getElementById("share-out").hidden = false;
    } catch (error) {
      notice(`${error.message} (${error.code})`, "error");
    }
  });
  document.getElementById("share-copy").addEventListener("click", () =>
    navigator.clipboard?.writeText(document.getElementById("share-url").value));

  const del = document.getElementById("delete");
  const restore = document.getElementById("restore");
  del.addEventListener("click", async () => {
    try {
      await api(`/v1/images/${imageId}`, { method: "DELETE" });
      del.hidden = true;
      restore.hidden = false;
      document.getElementById("status").textContent = "deleted";
      notice("Deleted. You can restore it for a while.");
    } catch (error) {
      notice(`${error.message} (${error.code})`, "error");
    }
  });
  restore.addEventListener("click", async () => {
    try {
      show(await api(`/v1/images/${imageId}/restore`, { method: "POST" }));
      del.hidden = false;
      restore.hidden = true;
      notice("Restored.");
    } catch (error) {
      notice(`${error.message} (${error.code})`, "error");
    }
  });
  albumPicker();
  document.getElementById("album-add-button").addEventListener("click", async () => {
    const select = document.getElementById("album-choice");
    try {
      await api(`/v1/albums/${select.value}/images`, { method: "POST", json: { add: [imageId] } });
      notice(`Added to ${select.selectedOptions[0].text}.`);
      await albumPicker();
    } catch (error) {
      notice(`${error.message} (${error.code})`, "error");
    }
  });
}

// The owner's albums the photo is not in yet, to add it to.
async function albumPicker() {
  const [{ items }, holding] = await Promise.all([api("/v1/albums?limit=100"), albums(true)]);
  const inside = new Set(holding.map((album) => album.id));
  const select = document.getElementById("album-choice");
  const outside = items.filter((album) => !inside.has(album.id));
  select.replaceChildren(...outside.map((album) => new Option(album.name, album.id)));
  document.getElementById("album-add").hidden = select.options.length === 0;
}

try {
  const image = await api(`/v1/images/${imageId}`);
  show(image);
  metadata();
  tags();
  if (session()?.username === image.owner) ownerTools(image);
  else if (session()) albums(false).catch(() => {});
} catch (error) {
  document.getElementById("title").textContent = "Photo not available";
  notice(`${error.message} (${error.code})`, "error");
}
