// Darkroom's signed delivery URLs, verified at the edge (njs). The scheme is
// connectors/nginx.py's UrlSigner: ?e=<expires, unix s>&k=<key id>&s=<sig>,
// sig = base64url(HMAC-SHA256(key, "<path>\n<expires>")) without padding.
// Transforms carry it in the path: /t/<kid>.<expires>.<sig>/<rest> signs
// "/t/<rest>"; expires 0 (never) is valid for a public image's transform only.
// Keys come from DARKROOM_DELIVERY_SIGNING_KEYS ("kid:secret,kid:secret"):
// every listed key verifies, so keys rotate without breaking live URLs.
const crypto = require('crypto');

function keys() {
    const found = {};
    (process.env.DARKROOM_DELIVERY_SIGNING_KEYS || '').split(',').forEach(function (item) {
        const at = item.indexOf(':');
        if (at > 0) {
            found[item.slice(0, at).trim()] = item.slice(at + 1).trim();
        }
    });
    return found;
}

// Compares every character whatever the first difference: no timing hint.
function same(a, b) {
    if (a.length !== b.length) {
        return false;
    }
    let diff = 0;
    for (let i = 0; i < a.length; i++) {
        diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
    }
    return diff === 0;
}

// `never`: an expiry of 0 means the URL does not expire (a public transform's).
function check(signed, kid, expires, sig, never) {
    const secret = keys()[kid];
    if (!secret || !/^[0-9]{1,12}$/.test(expires)) {
        return 'bad';
    }
    const mac = crypto.createHmac('sha256', secret).update(signed + '\n' + expires).digest('base64url');
    if (!same(mac, sig)) {
        return 'bad';
    }
    if (expires === '0') {
        return never ? 'ok' : 'bad'; // as the render service says: only a public transform never expires
    }
    return Number(expires) < Date.now() / 1000 ? 'expired' : 'ok';
}

// "ok", "missing" (no signature), "expired" or "bad" (tampered or unknown key).
function verdict(r) {
    const expires = r.args.e, kid = r.args.k, sig = r.args.s;
    if (!expires || !kid || !sig) {
        return 'missing';
    }
    return check(r.uri, kid, expires, sig, false);
}

// Seconds the signature has left: how long a browser may keep the answer.
function remaining(r) {
    return String(Math.max(0, Math.floor(Number(r.args.e || 0) - Date.now() / 1000)));
}

const TOKEN = /^\/t\/([A-Za-z0-9]+)\.([0-9]{1,12})\.([A-Za-z0-9_-]+)(\/[^/]+\/(public|private)\/[^/]+)$/;

// The same verdicts for a transform URL, from the token in its path.
function transform_verdict(r) {
    const m = TOKEN.exec(r.uri);
    if (!m) {
        return /^\/t\/[A-Za-z0-9]+\.[0-9]+\./.test(r.uri) ? 'bad' : 'missing';
    }
    return check('/t' + m[4], m[1], m[2], m[3], m[5] === 'public');
}

// Cache-Control for a transform's answer: a private image's for as long as
// its signature lasts, and never in shared caches; a public one's for a year
// (immutable: its options and original never change), or until its URL expires.
function transform_cache_control(r) {
    const m = TOKEN.exec(r.uri);
    const expires = m ? Number(m[2]) : 0;
    const left = Math.max(0, Math.floor(expires - Date.now() / 1000));
    if (!m || m[5] === 'private') {
        return 'private, max-age=' + left;
    }
    return expires === 0 ? 'public, max-age=31536000, immutable' : 'public, max-age=' + left;
}

export default {verdict, remaining, transform_verdict, transform_cache_control};
