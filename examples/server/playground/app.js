// The crmbridge playground: calls the adapter server the way the softphone
// client does (jwtToken in the query, a raw "+" in phone numbers, JSON
// bodies) and shows every request, answer, returned message and renewed
// session token. Plain script, no build step; server data is only ever
// inserted as text.
"use strict";

const state = {
  jwt: "",
  platform: "",
  contact: null,
  sessionId: "",
  logId: "",
  smsBase: Date.now(), // message ids: stable for this page, so re-posting the day re-sends the same ids
  conversation: "pg-conv-" + Math.random().toString(36).slice(2, 10),
};

const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// maskJWT keeps a token recognisable without printing it whole.
function maskJWT(s) {
  return s.replace(/(jwtToken=)([^&]+)/, (_, k, v) => k + v.slice(0, 10) + "…");
}

// rawValue is a query value as the client sends it: not URL-encoded, so a
// "+" stays a "+"; only "#" (which would start a fragment) is escaped.
function rawValue(v) {
  return String(v).replace(/#/g, "%23");
}

function query(pairs) {
  const parts = [];
  if (state.jwt) parts.push("jwtToken=" + state.jwt);
  for (const [k, v] of pairs) parts.push(k + "=" + rawValue(v));
  return parts.join("&");
}

function toast(message, type, ttl) {
  if (!message) return;
  const t = el("div", "toast " + (type === "danger" ? "error" : type || "success"), message);
  $("toasts").appendChild(t);
  setTimeout(() => t.remove(), Math.min(Math.max(Number(ttl) || 4000, 1500), 10000));
}

function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

// call sends one request and logs it with its answer. It returns
// {status, json, text}.
async function call(method, path, pairs, body) {
  const q = query(pairs || []);
  const url = path + (q ? "?" + q : "");
  const headers = { "Accept": "application/json, text/plain, */*", "rc-extension-id": "playground" };
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const li = el("li");
  li.appendChild(el("div", "req", method + " /" + maskJWT(url)));
  if (init.body) {
    const d = el("details");
    d.appendChild(el("summary", "", "request body"));
    d.appendChild(el("pre", "req-body", JSON.stringify(body, null, 2)));
    li.appendChild(d);
  }
  $("log").prepend(li);

  let res, text;
  try {
    res = await fetch(url, init);
    text = await res.text();
  } catch (err) {
    li.appendChild(el("div", "status-err", "network error: " + err));
    toast("Network error: " + err, "error");
    return { status: 0, json: null, text: "" };
  }
  li.appendChild(el("div", res.ok ? "status-ok status" : "status-err status",
    "→ HTTP " + res.status + " " + (res.headers.get("Content-Type") || "")));
  const refreshed = res.headers.get("X-Refreshed-JWT-Token");
  if (refreshed) {
    li.appendChild(el("div", "refreshed", "X-Refreshed-JWT-Token: " + refreshed.slice(0, 10) + "… (the session continues with it)"));
    state.jwt = refreshed;
  }
  li.appendChild(el("pre", "res-body", pretty(text)));

  let json = null;
  try { json = JSON.parse(text); } catch { /* a text body */ }
  if (json && json.returnMessage) {
    const m = json.returnMessage;
    toast(m.message, m.messageType, m.ttl);
  } else if (!res.ok && text && !json) {
    toast(text, "error"); // the client shows a string body of an error as a toast
  }
  if (res.status === 401) setSession("", "");
  return { status: res.status, json, text };
}

function setSession(jwt, name) {
  state.jwt = jwt;
  const s = $("session-state");
  s.textContent = jwt ? "Logged in as " + name + " (" + state.platform + ")" : "Not logged in";
  s.className = jwt ? "logged-in" : "logged-out";
}

async function login() {
  state.platform = $("platform").value.trim();
  const r = await call("POST", "apiKeyLogin", [["state", "platform=" + state.platform]],
    { platform: state.platform, apiKey: $("api-key").value, hostname: "", additionalInfo: {} });
  if (r.json && r.json.jwtToken) setSession(r.json.jwtToken, r.json.name || "");
}

async function oauthOpen() {
  state.platform = $("platform").value.trim();
  const r = await call("GET", "crmManifest", [["platformName", state.platform]]);
  const p = r.json && r.json.platforms && r.json.platforms[state.platform];
  const o = p && p.auth && p.auth.oauth;
  if (!o || !o.authUrl) {
    toast("This platform does not log in with OAuth", "warning");
    return;
  }
  const u = new URL(o.authUrl);
  if (o.clientId) u.searchParams.set("client_id", o.clientId);
  u.searchParams.set("response_type", "code");
  if (o.redirectUri || r.json.redirectUri) u.searchParams.set("redirect_uri", o.redirectUri || r.json.redirectUri);
  if (o.scope) u.searchParams.set("scope", o.scope);
  u.searchParams.set("state", "platform=" + state.platform);
  window.open(u.toString(), "_blank", "noopener");
}

async function oauthFinish() {
  state.platform = $("platform").value.trim();
  // Unencoded, as the client sends it: the CRM's code and state may arrive
  // as separate top-level parameters; the server rebuilds them.
  const r = await call("GET", "oauth-callback", [["callbackUri", $("oauth-callback").value.trim()],
    ["state", "platform=" + state.platform], ["hostname", ""]]);
  if (r.json && r.json.jwtToken) setSession(r.json.jwtToken, r.json.name || "");
}

function selectContact(c) {
  state.contact = c;
  for (const li of $("contacts").children) li.classList.toggle("selected", li.dataset.id === String(c.id));
}

async function lookup() {
  const r = await call("GET", "contact", [["phoneNumber", $("phone").value.trim()],
    ["overridingFormat", $("formats").value], ["isExtension", "false"]]);
  const list = $("contacts");
  list.replaceChildren();
  $("create-contact").hidden = true;
  state.contact = null;
  const contacts = (r.json && Array.isArray(r.json.contact)) ? r.json.contact : [];
  for (const c of contacts) {
    if (c.isNewContact) {
      list.appendChild(el("li", "placeholder", c.name + " (the client offers to create one)"));
      $("create-contact").hidden = false;
      continue;
    }
    const li = el("li", "contact", c.name + " · " + (c.phone || "") + (c.organization ? " · " + c.organization : "") + " · id " + c.id);
    li.dataset.id = String(c.id);
    li.addEventListener("click", () => selectContact(c));
    list.appendChild(li);
    if (!state.contact) selectContact(c);
  }
}

async function createContact() {
  const r = await call("POST", "contact", [], { phoneNumber: $("phone").value.trim(),
    newContactName: $("new-contact-name").value, newContactType: "Contact", additionalSubmission: {} });
  if (r.json && r.json.successful && r.json.contact) {
    $("create-contact").hidden = true;
    const c = r.json.contact;
    const li = el("li", "contact", c.name + " · id " + c.id + " (created)");
    li.dataset.id = String(c.id);
    $("contacts").appendChild(li);
    selectContact({ id: c.id, name: c.name, type: c.type || "Contact" });
  }
}

function callStatus(text, logged) {
  const s = $("call-status");
  s.textContent = text;
  s.className = logged ? "logged" : "";
}

async function logCall() {
  if (!state.contact) {
    callStatus("Look up a number with a contact first.", false);
    return;
  }
  state.sessionId = "pg-" + Date.now() + "-" + Math.random().toString(36).slice(2, 8);
  const number = $("phone").value.trim();
  const self = { phoneNumber: "+14155550199", name: "Playground" };
  const other = { phoneNumber: number, name: state.contact.name };
  const inbound = $("direction").value === "Inbound";
  const r = await call("POST", "callLog", [], {
    logInfo: {
      id: state.sessionId, sessionId: state.sessionId, telephonySessionId: "s-" + state.sessionId,
      startTime: Date.now() - 60000, duration: Number($("duration").value) || 0,
      direction: $("direction").value, result: "Call connected",
      from: inbound ? other : self, to: inbound ? self : other,
    },
    note: $("call-note").value, additionalSubmission: {},
    contactId: state.contact.id, contactType: state.contact.type || "Contact", contactName: state.contact.name,
  });
  if (!(r.json && r.json.successful)) {
    callStatus("Not logged: " + ((r.json && r.json.returnMessage && r.json.returnMessage.message) || "HTTP " + r.status), false);
    return;
  }
  state.logId = String(r.json.logId);
  await rematch();
}

// rematch asks the server what it has for the call, as the client does
// when it shows a call in its history.
async function rematch() {
  const r = await call("GET", "callLog", [["sessionIds", state.sessionId], ["requireDetails", "true"]]);
  const entry = r.json && Array.isArray(r.json.logs) && r.json.logs[0];
  if (entry && entry.matched) {
    const note = entry.logData && entry.logData.note;
    callStatus("✓ Logged in the CRM as logId " + entry.logId + (note ? " — note: " + note : ""), true);
  } else {
    callStatus("The server has no log for session " + state.sessionId, false);
  }
}

async function patchCall(body) {
  if (!state.sessionId) {
    callStatus("Log a call first.", false);
    return;
  }
  const r = await call("PATCH", "callLog", [], Object.assign({ sessionId: state.sessionId }, body));
  if (r.json && r.json.successful) await rematch();
}

async function logSMS() {
  if (!state.contact) {
    $("sms-status").textContent = "Look up a number with a contact first.";
    return;
  }
  const number = $("phone").value.trim();
  const lines = $("sms").value.split("\n").map((s) => s.trim()).filter(Boolean);
  const now = new Date();
  const messages = lines.map((text, i) => ({
    id: state.smsBase + i, type: "SMS", direction: "Inbound", subject: text,
    from: { phoneNumber: number }, to: [{ phoneNumber: "+14155550199" }],
    creationTime: now.getTime() - (lines.length - i) * 60000, messageStatus: "Received",
  })).reverse(); // newest first, as the client sends them
  const r = await call("POST", "messageLog", [], {
    logInfo: {
      conversationId: state.conversation,
      conversationLogId: state.conversation + "/" + (now.getMonth() + 1) + "/" + now.getDate() + "/" + now.getFullYear(),
      type: "SMS", messages, correspondents: [{ phoneNumber: number }], self: { phoneNumber: "+14155550199" },
    },
    additionalSubmission: {},
    contactId: state.contact.id, contactType: state.contact.type || "Contact", contactName: state.contact.name,
  });
  const s = $("sms-status");
  if (r.json && r.json.successful) {
    const n = (r.json.logIds || []).length;
    s.textContent = n ? "✓ " + n + " new message(s) logged" : "Nothing new: every message was logged before";
    s.className = "logged";
  } else {
    s.textContent = "Not logged";
    s.className = "";
  }
}

async function logout() {
  const r = await call("POST", "unAuthorize", []);
  if (r.json && r.json.successful) setSession("", "");
}

// guard runs one action at a time and keeps its button disabled meanwhile.
function on(id, fn) {
  const b = $(id);
  b.addEventListener("click", async () => {
    b.disabled = true;
    try { await fn(); } finally { b.disabled = false; }
  });
}

on("login-btn", login);
on("oauth-open-btn", oauthOpen);
on("oauth-finish-btn", oauthFinish);
on("lookup-btn", lookup);
on("create-contact-btn", createContact);
on("log-call-btn", logCall);
on("edit-call-btn", () => patchCall({ subject: $("edit-subject").value, note: $("edit-note").value }));
on("recording-btn", () => patchCall({ recordingLink: $("recording").value, recordingDownloadLink: $("recording").value, note: "" }));
on("sms-btn", logSMS);
on("logout-btn", logout);
