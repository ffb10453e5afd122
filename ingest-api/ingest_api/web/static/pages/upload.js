// Upload: files or folders, dropped or picked, each sent on its own with its
// progress; its card then follows the image (processing → ready or failed)
// by polling the API, with no reload. Duplicates and refusals keep the API's
// reason. Two files travel at a time; following a sent one takes no slot.
//
// The door is tus (resumable: tus-js-client keeps each upload's address in
// local storage, so a file picked again after a lost connection or a reload
// goes on from where it stopped) when the API names a tus endpoint that
// answers; otherwise POST /v1/images, the API's own door.
// The batch's title, tags, visibility, location choice and album go with every file.

import { api, authorization, header, requireSession } from "/static/api.js";
import "/static/vendor/tus.min.js"; // defines window.tus

const PARALLEL = 2;
const POLL_MS = 1500;
const FOLLOW_FOR_MS = 15 * 60 * 1000;

header();
const form = document.getElementById("upload");
const cards = document.getElementById("cards");
const queue = [];
const totals = { bytes: 0, sent: new Map() };
let running = 0;

function describe(file) {
  return file.webkitRelativePath || file.relativePath || file.name;
}

function makeCard(file) {
  const item = document.createElement("li");
  item.className = "upload-card";
  item.innerHTML = `<span class="name"></span>
    <progress max="1" value="0"></progress>
    <span class="state" role="status">queued</span>
    <span class="reason"></span>`;
  item.querySelector(".name").textContent = describe(file);
  item.querySelector("progress").setAttribute("aria-label", `Upload of ${file.name}`);
  cards.append(item);
  return item;
}

function setState(item, state, reason = "", link = null) {
  item.dataset.state = state;
  item.querySelector(".state").textContent = state;
  const box = item.querySelector(".reason");
  box.textContent = reason;
  if (link) {
    const anchor = document.createElement("a");
    anchor.href = link;
    anchor.textContent = "open";
    box.append(" ", anchor);
  }
}

function showTotal() {
  const sent = [...totals.sent.values()].reduce((a, b) => a + b, 0);
  const total = document.getElementById("total");
  total.max = Math.max(totals.bytes, 1);
  total.value = sent;
  const done = cards.querySelectorAll("[data-state]:not([data-state=uploading]):not([data-state=queued])").length;
  document.getElementById("total-text").textContent =
    `${Math.round((100 * sent) / total.max)} % of ${(totals.bytes / 1e6).toFixed(1)} MB · ${done} of ${cards.children.length} sent`;
}

function fields() {
  const data = new FormData(form);
  return {
    title: data.get("title").trim(), tags: data.get("tags").trim(), visibility: data.get("visibility"),
    gps: data.get("gps") === "on", album: data.get("album") || null,
  };
}

function defaultTitle(file) {
  return file.name.replace(/\.[^.]+$/, "").replace(/[-_]+/g, " ").trim();
}

// POST /v1/images with the file; resolves to {status, body}.
async function send(file, item, chosen) {
  const body = new FormData();
  body.append("title", chosen.title || defaultTitle(file));
  if (chosen.tags) body.append("tags", chosen.tags);
  body.append("visibility", chosen.visibility);
  body.append("gps", String(chosen.gps));
  body.append("file", file, file.name);
  const headers = await authorization();
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", chosen.album ? `/v1/images?album=${encodeURIComponent(chosen.album)}` : "/v1/images");
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.responseType = "json";
    xhr.upload.onprogress = (event) => {
      if (!event.lengthComputable) return;
      item.querySelector("progress").value = event.loaded / event.total;
      totals.sent.set(item, Math.min(event.loaded, file.size));
      showTotal();
    };
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.response });
    xhr.onerror = () => reject(new Error("the connection failed"));
    xhr.send(body);
  });
}

// The tus endpoint, when the stack has one that answers; null otherwise.
const tusEndpoint = (async () => {
  try {
    const info = await fetch("/v1/uploads/tus");
    if (!info.ok || !window.tus?.isSupported) return null;
    const { endpoint } = await info.json();
    const probe = await fetch(endpoint, { method: "OPTIONS" });
    return probe.ok ? endpoint : null;
  } catch {
    return null;
  }
})();

// 4xx answers that say "not now" rather than "never" (timeout, conflict, locked, rate limit).
const RETRIED_STATUS = [408, 409, 423, 429];

function tusError(error) {
  const body = error.originalResponse?.getBody?.();
  try {
    const parsed = JSON.parse(body);
    if (parsed.error) return parsed.error;
  } catch {
    /* tusd's own words */
  }
  return { code: "upload_failed", message: body || error.message };
}

// A resumable upload; resolves to the upload's id (the last segment of its URL).
function sendTus(endpoint, file, item, chosen) {
  return new Promise((resolve, reject) => {
    const upload = new window.tus.Upload(file, {
      endpoint,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      removeFingerprintOnSuccess: true,
      metadata: {
        filename: file.name, filetype: file.type || "application/octet-stream",
        title: chosen.title || defaultTitle(file), tags: chosen.tags, visibility: chosen.visibility,
        gps: String(chosen.gps), ...(chosen.album ? { album: chosen.album } : {}),
      },
      // The access token may be refreshed while a long upload runs.
      onBeforeRequest: async (request) => {
        for (const [name, value] of Object.entries(await authorization())) request.setHeader(name, value);
      },
      onProgress: (sent, total) => {
        item.querySelector("progress").value = sent / total;
        totals.sent.set(item, sent);
        showTotal();
      },
      onSuccess: () => resolve(upload.url.split("/").pop()),
      onError: (error) => reject(Object.assign(new Error("refused"), {
        api: tusError(error), status: error.originalResponse?.getStatus?.() || 0,
      })),
    });
    upload.findPreviousUploads().then((previous) => {
      if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    });
  });
}

// What tusd's hand-off to the API made of a finished upload.
async function committed(uploadId) {
  const until = Date.now() + FOLLOW_FOR_MS;
  while (Date.now() < until) {
    const response = await fetch(`/v1/uploads/tus/${uploadId}`, { headers: await authorization() });
    if (response.ok) {
      const status = await response.json();
      if (!["uploading", "committing"].includes(status.status)) return status;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { status: "committing", error: { code: "still_committing", message: "still being checked" } };
}

async function uploadTus(endpoint, { file, item, chosen }) {
  let uploadId;
  try {
    uploadId = await sendTus(endpoint, file, item, chosen);
    totals.sent.set(item, file.size);
  } catch (error) {
    const api = error.api || { code: "upload_failed", message: error.message };
    // Only a 4xx is Darkroom's answer about the file; the network or a 5xx that outlasted
    // tus-js-client's retries is a failure worth trying again (the upload resumes where it was).
    const answered = error.status >= 400 && error.status < 500 && !RETRIED_STATUS.includes(error.status);
    return setState(item, answered ? "refused" : "failed", `${api.message} (${api.code})`);
  }
  const status = await committed(uploadId);
  if (status.status !== "committed") {
    const api = status.error || { code: status.status, message: status.status };
    return setState(item, "refused", `${api.message} (${api.code})`);
  }
  if (status.duplicate) {
    return setState(item, "duplicate", "you uploaded these bytes already", `/images/${status.image_id}`);
  }
  setState(item, "processing");
  follow(item, status.image_id); // not awaited: following never holds one of the upload slots
}

async function follow(item, imageId) {
  const until = Date.now() + FOLLOW_FOR_MS;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    const response = await fetch(`/v1/images/${imageId}`, { headers: await authorization() });
    if (!response.ok) continue;
    const image = await response.json();
    if (image.status === "ready") return setState(item, "ready", "", `/images/${imageId}`);
    if (image.status === "failed") {
      return setState(item, "failed", `${image.reason || "processing failed"} (${image.failure_code})`);
    }
  }
  setState(item, "processing", "still processing: see Photos later");
}

async function upload({ file, item, chosen }) {
  setState(item, "uploading");
  const endpoint = await tusEndpoint;
  try {
    if (endpoint) {
      await uploadTus(endpoint, { file, item, chosen });
      return;
    }
    const { status, body } = await send(file, item, chosen);
    totals.sent.set(item, file.size);
    item.querySelector("progress").value = 1;
    if (status === 200 && body.duplicate) {
      setState(item, "duplicate", "you uploaded these bytes already", `/images/${body.id}`);
    } else if (status === 202 || status === 201) {
      setState(item, "processing");
      follow(item, body.id);
    } else {
      const error = body && body.error ? body.error : { code: `http_${status}`, message: "refused" };
      setState(item, "refused", `${error.message} (${error.code})`);
    }
  } catch (error) {
    setState(item, "failed", error.message);
  } finally {
    showTotal();
  }
}

function pump() {
  while (running < PARALLEL && queue.length) {
    running += 1;
    upload(queue.shift()).finally(() => {
      running -= 1;
      pump();
    });
  }
}

function add(files) {
  const chosen = fields();
  document.getElementById("progress").hidden = false;
  for (const file of files) {
    if (file.name.startsWith(".")) continue; // .DS_Store and friends
    totals.bytes += file.size;
    queue.push({ file, item: makeCard(file), chosen });
  }
  showTotal();
  pump();
}

// A dropped folder arrives as entries to walk.
async function walk(entry, prefix = "") {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    file.relativePath = prefix + file.name;
    return [file];
  }
  const reader = entry.createReader();
  const found = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const child of batch) found.push(...(await walk(child, `${prefix}${entry.name}/`)));
  }
  return found;
}

// The visitor's albums, to upload into; /upload?album=<id> picks one.
async function albumChoice() {
  const { items } = await api("/v1/albums?limit=100");
  const select = document.getElementById("album");
  for (const album of items) select.append(new Option(album.name, album.id));
  select.value = new URLSearchParams(location.search).get("album") || "";
  select.closest("label").hidden = items.length === 0;
  if (select.value) form.querySelector("details").open = true;
}

if (requireSession()) {
  albumChoice().catch(() => {}); // without the list, uploads still go, into no album
  const drop = document.getElementById("drop");
  for (const id of ["files", "folder"]) {
    const input = document.getElementById(id);
    input.addEventListener("change", () => {
      add([...input.files]);
      input.value = "";
    });
  }
  drop.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      document.getElementById("files").click();
    }
  });
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", async (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    const entries = [...event.dataTransfer.items].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
    if (!entries.length) return add([...event.dataTransfer.files]);
    const files = [];
    for (const entry of entries) files.push(...(await walk(entry)));
    add(files);
  });
}
