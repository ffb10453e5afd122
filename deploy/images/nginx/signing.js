// Darkroom's signed delivery URLs, verified at the edge (njs). The scheme is
// connectors/nginx.py's UrlSigner: ?e=<expires, unix s>&k=<key id>&s=<sig>,
// sig = base64url(HMAC-SHA256(key, "<path>\n<expires>")) without padding.
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

// "ok", "missing" (no signature), "expired" or "bad" (tampered or unknown key).
function verdict(r) {
    const expires = r.args.e, kid = r.args.k, sig = r.args.s;
    if (!expires || !kid || !sig) {
        return 'missing';
    }
    const secret = keys()[kid];
    if (!secret || !/^[0-9]{1,12}$/.test(expires)) {
        return 'bad';
    }
    const mac = crypto.createHmac('sha256', secret).update(r.uri + '\n' + expires).digest('base64url');
    if (!same(mac, sig)) {
        return 'bad';
    }
    return Number(expires) < Date.now() / 1000 ? 'expired' : 'ok';
}

// Seconds the signature has left: how long a browser may keep the answer.
function remaining(r) {
    return String(Math.max(0, Math.floor(Number(r.args.e || 0) - Date.now() / 1000)));
}

export default {verdict, remaining};
