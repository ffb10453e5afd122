// The page's one door to the public API: the visitor's session (tokens from
// /v1/auth, or an API key) and a fetch wrapper that sends it, refreshes an
// expired access token once, and turns the API's error body into an Error.

const KEY = "darkroom.session";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function session() {
  try {
    return JSON.parse(localStorage.getItem(KEY)) || null;
  } catch {
    return null;
  }
}

export function saveSession(value) {
  if (value) localStorage.setItem(KEY, JSON.stringify(value));
  else localStorage.removeItem(KEY);
}

function fromTokens(username, tokens) {
  return {
    username,
    access: tokens.access_token,
    refresh: tokens.refresh_token,
    expiresAt: Date.now() + tokens.expires_in * 1000,
  };
}

async function problem(response) {
  let code = `http_${response.status}`;
  let message = response.statusText || "request failed";
  try {
    const body = await response.json();
    if (body && body.error) ({ code, message } = body.error);
  } catch {
    /* not the API's error body */
  }
  return new ApiError(response.status, code, message);
}

// A refresh token works once: every caller waiting for a new access token
// shares one refresh request, or the second would present a spent token.
let refreshing = null;

function refreshSession() {
  const current = session();
  if (!current || !current.refresh) return Promise.resolve(null);
  refreshing ??= fetch("/v1/auth/refresh", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ refresh_token: current.refresh }),
  })
    .then(async (response) => {
      if (!response.ok) {
        saveSession(null);
        return null;
      }
      const next = fromTokens(current.username, await response.json());
      saveSession(next);
      return next;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

export async function authorization() {
  let current = session();
  if (current && current.refresh && current.expiresAt - Date.now() < 15_000) {
    current = await refreshSession();
  }
  return current ? { Authorization: `Bearer ${current.access}` } : {};
}

// fetch() against the API; JSON in and out. `anonymous` sends no credential.
export async function api(path, { method = "GET", json, anonymous = false, retried = false } = {}) {
  const headers = anonymous ? {} : await authorization();
  const init = { method, headers };
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  const response = await fetch(path, init);
  if (response.status === 401 && !anonymous && !retried && session()?.refresh) {
    if (await refreshSession()) return api(path, { method, json, retried: true });
  }
  if (!response.ok) throw await problem(response);
  // 204, and a 202 with nothing to say (a delete whose clean-up an engine delays), have no body.
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

export async function signIn(username, password) {
  const tokens = await api("/v1/auth/login", { method: "POST", json: { username, password }, anonymous: true });
  saveSession(fromTokens(username, tokens));
}

export async function useKey(key) {
  const response = await fetch("/v1/me", { headers: { Authorization: `Bearer ${key}` } });
  if (!response.ok) throw await problem(response);
  const me = await response.json();
  saveSession({ username: me.username, access: key, refresh: null, expiresAt: Infinity });
}

export async function signOut() {
  const current = session();
  saveSession(null);
  if (current && current.refresh) {
    await fetch("/v1/auth/logout", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: current.refresh }),
    }).catch(() => {});
  }
}

// Pages that need an account send visitors without one to sign in, and back.
export function requireSession() {
  if (session()) return true;
  location.assign(`/signin?next=${encodeURIComponent(location.pathname + location.search)}`);
  return false;
}

export function notice(text, kind = "info") {
  const box = document.getElementById("notice");
  box.textContent = text;
  box.className = `notice ${kind}`;
  box.hidden = !text;
}

// The header's "who" corner.
export function header() {
  const current = session();
  document.getElementById("who").hidden = !current;
  document.getElementById("signin-link").hidden = Boolean(current);
  if (current) document.getElementById("who-name").textContent = current.username;
  document.getElementById("signout").addEventListener("click", async () => {
    await signOut();
    location.assign("/signin");
  });
  for (const link of document.querySelectorAll("nav a")) {
    if (link.getAttribute("href") === location.pathname) link.setAttribute("aria-current", "page");
  }
}

// A list item linking to an album's page (the Albums page and a photo's albums).
export function albumItem(album) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.href = `/albums/${album.id}`;
  link.textContent = album.name;
  item.append(link);
  return item;
}

export function formError(form, error) {
  const box = form.querySelector(".error");
  box.textContent = error ? `${error.message} (${error.code ?? "error"})` : "";
  box.hidden = !error;
}
