// The relay console: plain JavaScript talking to /api with the person's token (kept in sessionStorage,
// so it leaves with the tab). The server checks every request; what is shown or hidden here only
// spares people buttons that would be refused.
"use strict";

const state = { token: sessionStorage.getItem("relay.token"), me: null, previewTimer: null, previewSeq: 0,
                stream: null, lastPreview: null, templates: {} };
const $ = (id) => document.getElementById(id);
const LANGUAGE_NAMES = new Intl.DisplayNames(["en"], { type: "language" });

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function languageName(code) {
  try { return `${LANGUAGE_NAMES.of(code)} (${code})`; } catch { return code; }
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

function describe(detail) {
  if (Array.isArray(detail)) return detail.map((d) => `${(d.loc || []).slice(1).join(".") || "input"}: ${d.msg}`).join("; ");
  return detail || "request failed";
}

async function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${state.token}`, ...(options.headers || {}) };
  let body = options.body;
  if (body !== undefined && typeof body !== "string") {
    body = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, { ...options, headers, body });
  if (response.status === 401) { signOut(); throw new Error("Your token is not valid any more: sign in again."); }
  const data = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  if (!response.ok) {
    const error = new Error(describe(data && data.detail));
    error.status = response.status;
    throw error;
  }
  return data;
}

// --- pages ---------------------------------------------------------------------------------------

function route() {
  const [page, arg] = (location.hash.slice(1) || "compose").split("/");
  if (!state.token || !state.me) return show("login");
  if (page === "delivery") { show("delivery"); openDelivery(arg); return; }
  if (page === "moderation") { show("moderation"); loadFlags(); return; }
  if (page === "crises") { show("crises"); loadCrises(arg); return; }
  show("compose");
  loadDrafts();
  loadScheduled();
  loadTemplates();
}

function show(page) {
  closeStream();
  showError("");
  for (const section of document.querySelectorAll(".page")) section.hidden = section.id !== `page-${page}`;
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.page === page) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  $("main").focus();
}

async function signIn(token) {
  state.token = token;
  try {
    state.me = await api("/api/me");
  } catch (error) {
    state.token = null;
    throw error;
  }
  sessionStorage.setItem("relay.token", token);
  $("nav").hidden = false;
  $("who").textContent = `${state.me.name || state.me.actor} · ${state.me.tier}`;
  for (const link of document.querySelectorAll("#nav a")) link.hidden = !state.me.can[link.dataset.can];
}

function signOut() {
  sessionStorage.removeItem("relay.token");
  state.token = null; state.me = null;
  $("nav").hidden = true;
  location.hash = "#login";
  route();
}

// --- compose -------------------------------------------------------------------------------------

function list(value) { return value.split(",").map((s) => s.trim()).filter(Boolean); }

// --- templates: pre-approved texts with {fields} ---------------------------------------------------

async function loadTemplates() {
  if (!state.me.can["templates.view"]) return;
  const items = await api("/api/templates").catch(() => []);
  state.templates = Object.fromEntries(items.map((t) => [t.name, t]));
  $("template-picker").hidden = !items.length;
  const select = $("template");
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "" }, "None: write a message"),
    ...items.map((t) => el("option", { value: t.name },
      `${t.name} (${t.kind}, ${Object.keys(t.texts).length} language${Object.keys(t.texts).length === 1 ? "" : "s"})`)));
  select.value = state.templates[chosen] ? chosen : "";
}

function chosenTemplate() { return state.templates[$("template").value] || null; }

function fieldValues() {
  const values = {};
  for (const input of document.querySelectorAll("input[data-field]")) values[input.dataset.field] = input.value;
  return values;
}

// As relay/templates/fields.py fills them: `{name}` becomes its value, `{{` and `}}` are literal braces.
// A field not yet typed stays `{name}` in the preview, so the coordinator sees what is still missing.
function fillTemplate(text, values) {
  return text.replace(/\{\{|\}\}|\{([a-z][a-z0-9_]*)\}/g,
    (match, name) => (name === undefined ? match[0] : (values[name] || match)));
}

function pickTemplate() {
  const t = chosenTemplate();
  const form = $("compose-form");
  $("body").readOnly = Boolean(t);
  form.language.readOnly = Boolean(t);
  form.poll.disabled = Boolean(t);
  if (!t) {
    $("template-fields").replaceChildren();
    $("template-budget").replaceChildren();
    $("body").value = "";
    schedulePreview();
    return;
  }
  form.kind.value = t.kind;
  form.language.value = t.source_language;
  $("template-fields").replaceChildren(...Object.entries(t.fields).map(([name, longest]) => {
    const id = `field-${name}`;
    return el("div", {},
      el("label", { for: id }, `{${name}} `, el("span", { class: "help" }, `at most ${longest} characters`)),
      el("input", { id, "data-field": name, maxlength: longest, required: true, autocomplete: "off" }));
  }));
  $("template-budget").replaceChildren(...t.budget.map((b) => el("li", { "data-language": b.language },
    `${languageName(b.language)}: ${b.encoding}, ${b.segments} segment${b.segments === 1 ? "" : "s"} at the longest values`)));
  applyTemplate();
}

function applyTemplate() {
  const t = chosenTemplate();
  if (t) $("body").value = fillTemplate(t.texts[t.source_language], fieldValues());
}

function templateTexts() {
  const t = chosenTemplate();
  const values = fieldValues();
  return Object.fromEntries(Object.entries(t.texts).filter(([lang]) => lang !== t.source_language)
    .map(([lang, text]) => [lang, fillTemplate(text, values)]));
}

function lines(value) { return value.split("\n").map((s) => s.trim()).filter(Boolean); }

// relay/geo: the area a broadcast is aimed at (polygons, circles, geocodes), or undefined for none.
function chosenArea() {
  const form = $("compose-form");
  const chosen = { polygons: lines(form.area_polygons.value), circles: lines(form.area_circles.value),
                   geocodes: list(form.area_geocodes.value) };
  if (!chosen.polygons.length && !chosen.circles.length && !chosen.geocodes.length) return undefined;
  if (form.area_no_location.value) chosen.no_location = form.area_no_location.value;
  return chosen;
}

function draft() {
  const form = $("compose-form");
  const humanTexts = {};
  for (const area of document.querySelectorAll("textarea[data-override]")) {
    if (area.value.trim()) humanTexts[area.dataset.override] = area.value;
  }
  if (chosenTemplate()) Object.assign(humanTexts, templateTexts());
  return {
    kind: form.kind.value, severity: form.severity.value, body: form.body.value,
    language: form.language.value.trim() || undefined,
    audience: { regions: list(form.regions.value), topics: list(form.topics.value),
                tiers: [...form.querySelectorAll("input[name=tier]:checked")].map((box) => box.value) },
    human_texts: humanTexts,
    poll_options: list(form.poll.value),
    area: chosenArea(),
  };
}

function schedulePreview() {
  $("body-count").textContent = $("body").value.length;
  clearTimeout(state.previewTimer);
  state.previewTimer = setTimeout(preview, 350);
}

async function preview() {
  const request = draft();
  if (!request.body.trim()) { $("audience").textContent = "Type a message to see who it reaches."; return; }
  const seq = ++state.previewSeq;
  try {
    const result = await api("/api/broadcasts/preview", { method: "POST", body: request });
    if (seq !== state.previewSeq) return; // a newer keystroke's preview is on its way
    state.lastPreview = result;
    renderPreview(result, request);
    showError("");
  } catch (error) {
    if (seq === state.previewSeq) showError(error.message);
  }
}

function seconds(value) {
  if (value === null || value === undefined) return "no rate limit configured";
  if (value < 60) return `about ${Math.max(1, Math.round(value))} s`;
  if (value < 3600) return `about ${Math.round(value / 60)} min`;
  return `about ${(value / 3600).toFixed(1)} h`;
}

function renderPreview(result, request) {
  const channels = Object.entries(result.by_channel).map(([c, n]) => `${n} on ${c}`).join(", ");
  $("audience").textContent = `${result.total} recipient${result.total === 1 ? "" : "s"}` + (channels ? ` (${channels})` : "");
  $("estimate").replaceChildren(
    el("p", {}, `Estimated cost: ${result.cost.toFixed(4)} ${result.currency} · time to finish: `,
       el("strong", { id: "eta" }, seconds(result.estimated_seconds))),
    el("ul", { class: "costs" }, result.estimates.map((e) =>
      el("li", {}, `${e.channel}: ${e.units} ${e.channel === "sms" ? "segment" : "message"}${e.units === 1 ? "" : "s"}` +
         (e.rate_per_second ? ` at ${e.rate_per_second}/s, ${seconds(e.seconds)}` : ", no rate limit")))),
    ...(result.needs_second_approval ? [el("p", { class: "badge wait" }, "Extreme: a second coordinator must approve")] : []),
    ...(result.area
      ? [el("div", { id: "area-preview" },
            el("ul", { class: "costs" }, result.area.parts.map((part) =>
              el("li", {}, `${part.label}: ${part.people} ${part.people === 1 ? "person" : "people"}`))),
            el("p", {}, `Inside the area: ${result.area.inside} · ${result.area.message}`))]
      : []),
    ...(result.quiet_hours && result.quiet_hours.waiting
      ? [el("p", { id: "quiet-hours", class: "badge wait" },
            `${result.quiet_hours.waiting} deliver${result.quiet_hours.waiting === 1 ? "y waits" : "ies wait"} for ` +
            `quiet hours; the last goes at ${new Date(result.quiet_hours.last_release).toLocaleString()}`)]
      : []),
  );
  const keep = {};
  for (const area of document.querySelectorAll("textarea[data-override]")) keep[area.dataset.override] = area.value;
  $("languages").replaceChildren(...result.languages.map((lang) => {
    const badges = [el("span", { class: `badge ${lang.origin}` }, lang.origin)];
    if (lang.pending_approval) badges.push(el("span", { class: "badge wait" }, "waits for approval"));
    if (lang.gate) {
      const failed = lang.gate.checks.filter((c) => c.status === "failed").map((c) => c.name);
      badges.push(el("span", { class: `badge gate-${lang.gate.verdict}`, "data-role": "gate",
                               title: lang.gate.checks.map((c) => `${c.name}: ${c.status}`).join("\n") },
        lang.gate.verdict === "pass" ? "quality gate: pass" : `quality gate: fail (${failed.join(", ")})`));
    }
    const costs = lang.channels.map((c) => el("li", { "data-channel": c.channel },
      c.channel === "sms"
        ? `SMS to ${c.recipients}: ${c.encoding}, ${c.units} characters, ${c.segments} segment${c.segments === 1 ? "" : "s"} each, ${c.cost.toFixed(4)} ${result.currency}`
        : `${c.channel} to ${c.recipients}: ${c.cost.toFixed(4)} ${result.currency}`));
    const overrideId = `override-${lang.language}`;
    const original = lang.language === (request.language || "en");
    return el("div", { class: "lang", "data-language": lang.language },
      el("h4", {}, languageName(lang.language), ` · ${lang.recipients}`, ...badges),
      el("div", { class: "text", "data-role": "text" }, lang.text),
      el("ul", { class: "costs" }, costs),
      original ? null : el("details", {},
        el("summary", {}, "Write this language's text yourself"),
        el("label", { for: overrideId }, `Human text for ${languageName(lang.language)}`),
        el("textarea", { id: overrideId, rows: 3, "data-override": lang.language, oninput: schedulePreview },
           keep[lang.language] || "")));
  }));
}

async function send() {
  const request = draft();
  const empty = [...document.querySelectorAll("input[data-field]")].find((input) => !input.value.trim());
  if (chosenTemplate() && empty) { showError(`Field {${empty.dataset.field}} is empty.`); empty.focus(); return; }
  if (chosenTemplate() && request.area) {
    showError("A template cannot be aimed at an area yet: clear the area, or write the message without the template.");
    return;
  }
  if (!request.body.trim()) { showError("The message is empty."); $("body").focus(); return; }
  await preview();
  const p = state.lastPreview;
  if (!p) return;
  $("confirm-text").textContent = `${request.kind} · ${request.severity}: ${p.total} recipients in ` +
    `${p.languages.length} language(s), estimated ${p.cost.toFixed(4)} ${p.currency}, ${seconds(p.estimated_seconds)}.`;
  const dialog = $("confirm");
  dialog.returnValue = "";
  dialog.showModal();
  $("confirm-send").focus();
}

async function loadDrafts() {
  if (!state.me.can["broadcast.everyone"]) return;
  const drafts = (await api("/api/drafts").catch(() => [])).filter((d) => d.status === "waiting");
  $("drafts").hidden = !drafts.length;
  $("draft-list").replaceChildren(...drafts.map((d) => el("div", { class: "list-item" },
    el("span", {}, `#${d.id} by ${d.created_by}: ${d.request.body.slice(0, 80)}`),
    d.created_by === state.me.actor ? el("span", { class: "help" }, "yours: another coordinator approves")
      : el("button", { type: "button", onclick: async () => {
          try {
            const result = await api(`/api/drafts/${d.id}/approve`, { method: "POST" });
            location.hash = `#delivery/${result.id}`;
          } catch (error) { showError(error.message); }
        } }, "Approve and send"))));
}

async function loadScheduled() {
  if (!state.me.can["broadcast.view"]) return;
  const items = await api("/api/scheduled-broadcasts").catch(() => []);
  $("scheduled").hidden = !items.length;
  $("scheduled-list").replaceChildren(...items.map((s) => {
    const next = Object.values(s.due).sort()[0];
    const when = s.send_at ? new Date(s.send_at).toLocaleString() : `${s.local_time} in each recipient's time zone`;
    return el("div", { class: "list-item", "data-schedule": s.id },
      el("span", {}, `#${s.id} ${s.kind}, ${when}` + (next ? ` (next: ${new Date(next).toLocaleString()})` : "") +
         `: ${s.body.slice(0, 80)}`),
      state.me.can["broadcast.cancel"] ? el("button", { type: "button", onclick: async () => {
        try { await api(`/api/scheduled-broadcasts/${s.id}`, { method: "DELETE" }); loadScheduled(); }
        catch (error) { showError(error.message); }
      } }, "Cancel") : null);
  }));
}

async function confirmed() {
  if ($("confirm").returnValue !== "send") return;
  try {
    const t = chosenTemplate();
    const request = draft();
    const result = t
      ? await api(`/api/templates/${encodeURIComponent(t.name)}/send`, { method: "POST", body: {
          values: fieldValues(), severity: request.severity, audience: request.audience } })
      : await api("/api/broadcasts", { method: "POST", body: request });
    if (result.status === "awaiting_second_approval") {
      showError(`Draft ${result.draft_id} waits for a second coordinator's approval.`);
      loadDrafts();
      return;
    }
    location.hash = `#delivery/${result.id}`;
  } catch (error) {
    showError(error.message);
  }
}

// --- delivery ------------------------------------------------------------------------------------

function closeStream() {
  if (state.stream) { state.stream.abort(); state.stream = null; }
}

async function openDelivery(id) {
  $("delivery").hidden = !id;
  try {
    const broadcasts = await api("/api/broadcasts?limit=20");
    $("broadcast-list").replaceChildren(el("h3", {}, "Recent broadcasts"),
      broadcasts.length ? el("div", {}, broadcasts.map((b) => el("div", { class: "list-item" },
        el("a", { href: `#delivery/${b.id}` }, `#${b.id} ${b.kind} · ${b.severity}`),
        el("span", {}, b.body.slice(0, 60))))) : el("p", {}, "No broadcasts yet."));
  } catch (error) { showError(error.message); }
  if (!id) return;
  const b = await api(`/api/broadcasts/${id}`).catch((error) => { showError(error.message); return null; });
  if (!b) return;
  $("delivery-summary").replaceChildren(el("strong", {}, `Broadcast #${b.id}`), ` · ${b.kind} · ${b.severity} · `, b.body);
  loadApprovals(id);
  state.samples = [];
  state.failing = 0;
  $("unreached").replaceChildren(el("p", {}, "Sending…"));
  renderProgress(b.progress);
  follow(id);
}

async function loadApprovals(id) {
  const texts = await api(`/api/broadcasts/${id}/texts`).catch(() => []);
  const waiting = texts.filter((t) => t.status === "pending_approval");
  $("approvals-card").hidden = !waiting.length;
  $("approvals").replaceChildren(...waiting.map((t) => {
    const areaId = `approve-${t.language}`;
    return el("div", { class: "lang", "data-language": t.language },
      el("label", { for: areaId }, `${languageName(t.language)}: machine draft (edit it, or approve it as it is)`),
      el("textarea", { id: areaId, rows: 3 }, t.draft || t.text),
      state.me.can["translation.approve"] ? el("button", { type: "button", onclick: async () => {
        const edited = $(areaId).value;
        try {
          const result = await api(`/api/broadcasts/${id}/texts/${t.language}/approve`, { method: "POST",
            body: edited.trim() && edited !== t.draft ? { text: edited } : {} });
          $("delivery-state").textContent = result.follow_up
            ? `The approved ${t.language} text follows as broadcast #${result.follow_up} to ${result.follow_up_deliveries} people.`
            : `The approved ${t.language} text goes to ${result.released} people.`;
          loadApprovals(id);
        } catch (error) { showError(error.message); }
      } }, `Approve ${t.language}`) : null);
  }));
}

function bars(container, groups) {
  container.replaceChildren(...Object.entries(groups).sort().map(([name, counts]) => {
    const total = Object.values(counts).reduce((a, n) => a + n, 0);
    const done = counts.delivered || 0;
    const id = `bar-${container.id}-${name}`;
    return el("div", { class: "bar-row", "data-group": name },
      el("label", { for: id }, name),
      el("progress", { id, max: total || 1, value: done }),
      el("output", { for: id }, `${total ? Math.round((100 * done) / total) : 0} %`));
  }));
}

function renderProgress(p) {
  const delivered = p.by_status.delivered || 0;
  $("overall").max = p.total || 1;
  $("overall").value = delivered;
  $("overall-pct").textContent = `${p.total ? Math.round((100 * delivered) / p.total) : 0} %`;
  const rest = Object.entries(p.by_status).filter(([s]) => s !== "delivered").map(([s, n]) => `${n} ${s}`).join(", ");
  $("delivery-state").textContent = `${delivered} of ${p.total} delivered` + (rest ? ` · ${rest}` : "") +
    (p.final === p.total ? " · finished" : "");
  bars($("by-channel"), p.by_channel);
  bars($("by-language"), p.by_language);
  state.samples.push([Date.now(), delivered, p.total]);
  drawChart();
}

function drawChart() {
  const samples = state.samples;
  const svg = $("chart");
  if (samples.length < 1) return;
  const t0 = samples[0][0], t1 = Math.max(samples[samples.length - 1][0], t0 + 1000);
  const total = Math.max(1, samples[samples.length - 1][2]);
  const points = samples.map(([t, d]) => `${(300 * (t - t0)) / (t1 - t0)},${100 - (100 * d) / total}`).join(" ");
  svg.innerHTML = `<polyline fill="none" stroke="#1a7f37" stroke-width="2" vector-effect="non-scaling-stroke" points="${points}"/>`;
  svg.setAttribute("aria-label", `Deliveries over time: ${samples[samples.length - 1][1]} of ${total}`);
}

// Server-sent events over fetch (EventSource cannot send the Authorization header).
async function follow(id) {
  closeStream();
  const controller = new AbortController();
  state.stream = controller;
  try {
    const response = await fetch(`/api/broadcasts/${id}/events`,
      { headers: { Authorization: `Bearer ${state.token}` }, signal: controller.signal });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: ?(.*)$/m.exec(block)?.[1];
        const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("\n");
        if (!data) continue;
        const progress = JSON.parse(data);
        renderProgress(progress);
        if (event === "done") { finished(id); return; }
        const failing = (progress.by_status.failed || 0) + (progress.by_status.expired || 0) + (progress.by_status.cancelled || 0);
        if (failing !== state.failing) { state.failing = failing; showUnreached(id); } // failures show as they happen
      }
    }
  } catch (error) {
    if (error.name !== "AbortError") showError(`Live updates stopped: ${error.message}`);
  }
}

async function showUnreached(id) {
  const b = await api(`/api/broadcasts/${id}`);
  $("unreached").replaceChildren(b.unreached.length
    ? el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "channel"), el("th", {}, "address"), el("th", {}, "status"), el("th", {}, "error"))),
        el("tbody", {}, b.unreached.map((u) => el("tr", {}, el("td", {}, u.channel), el("td", {}, u.address ?? "(hidden)"), el("td", {}, u.status), el("td", {}, u.error || "")))))
    : el("p", {}, "Everyone was reached."));
}

async function finished(id) {
  state.stream = null;
  await showUnreached(id);
  if (state.me.can["relays.view"]) {
    const nodes = await api(`/api/relays?broadcast=${id}`).catch(() => []);
    $("acks-card").hidden = !nodes.length;
    const rows = [];
    const walk = (n, depth) => { rows.push(el("tr", {}, el("td", {}, "· ".repeat(depth) + n.community), el("td", {}, n.relay), el("td", {}, n.code || ""), el("td", {}, n.state))); n.children.forEach((c) => walk(c, depth + 1)); };
    nodes.forEach((n) => walk(n, 0));
    $("acks").replaceChildren(el("table", {}, el("tbody", {}, rows)));
  }
  if (state.me.can["poll.results"]) {
    const poll = await api(`/api/broadcasts/${id}/poll`).catch(() => null);
    $("poll-card").hidden = !poll;
    if (poll) $("poll").replaceChildren(el("p", {}, `${poll.answered} of ${poll.asked} answered`),
      el("ul", {}, Object.entries(poll.by_option).map(([k, n]) => el("li", {}, `${k}: ${n}`))));
  }
}

// --- moderation ----------------------------------------------------------------------------------

async function loadFlags() {
  try {
    const [open, all] = await Promise.all([api("/api/flags?status=open"), api("/api/flags?status=all")]);
    // Reasons being typed survive the refresh (after each vote every card is drawn again).
    const typed = new Map([...document.querySelectorAll("#flags input[id^='reason-']")].map((input) => [input.id, input.value]));
    $("flags").replaceChildren(...(open.length ? open.map(flagCard) : [el("p", {}, "The queue is empty.")]));
    for (const [id, value] of typed) { if (value && $(id)) $(id).value = value; }
    const decided = all.filter((f) => f.status !== "open");
    $("decided").replaceChildren(decided.length ? el("table", {},
      el("thead", {}, el("tr", {}, el("th", {}, "flag"), el("th", {}, "message"), el("th", {}, "outcome"))),
      el("tbody", {}, decided.map((f) => el("tr", { "data-flag": f.id }, el("td", {}, `#${f.id}`), el("td", {}, f.text), el("td", {}, f.status)))))
      : el("p", {}, "Nothing decided yet."));
  } catch (error) { showError(error.message); }
}

function flagCard(flag) {
  const reasonId = `reason-${flag.id}`;
  const vote = (decision) => async () => {
    const reason = $(reasonId).value.trim();
    if (!reason) { showError("Give a reason for your vote."); $(reasonId).focus(); return; }
    try {
      const result = await api(`/api/flags/${flag.id}/votes`, { method: "POST", body: { decision, reason } });
      showError("");
      $(reasonId).value = "";  // counted: the next vote on this flag needs its own reason
      await loadFlags();
      $("mod-status").textContent = result.decided
        ? `Flag #${flag.id}: ${result.decided}.`
        : `Flag #${flag.id}: your vote counted (${result.votes_for} of ${result.quorum}).`;
    } catch (error) { showError(error.message); }
  };
  return el("article", { class: "card flag", "data-flag": flag.id, "aria-labelledby": `flag-title-${flag.id}` },
    el("h3", { id: `flag-title-${flag.id}` }, `Flag #${flag.id}`),
    el("div", { class: "text" }, flag.text),
    el("p", { class: "meta" }, `${flag.channel} · ${flag.sender} · score ${flag.score.toFixed(2)} · ${flag.reasons.join(", ")}`),
    flag.votes.length ? el("p", { class: "meta" }, "Votes: " + flag.votes.map((v) => `${v.moderator} ${v.decision} (${v.reason || "no reason"})`).join("; ")) : null,
    el("label", { for: reasonId }, "Reason"),
    el("input", { id: reasonId, maxlength: 1000 }),
    el("div", { class: "row" },
      el("button", { type: "button", class: "release", onclick: vote("release") }, "Release"),
      el("button", { type: "button", class: "warn", onclick: vote("warn") }, "Warn"),
      el("button", { type: "button", class: "false", onclick: vote("false") }, "Confirm false")));
}

// --- crises (served when the alerts feature runs in this relay) ---------------------------------

function when(iso) { return iso ? iso.slice(0, 16).replace("T", " ") + " UTC" : "—"; }

async function loadCrises(id) {
  try {
    const list = await api("/api/crises");
    $("crisis-list").replaceChildren(list.length ? el("div", {}, list.map((c) => el("div", { class: "list-item" },
      el("a", { href: `#crises/${c.id}` }, `#${c.id} ${c.title}`), el("span", {}, `${c.region} · ${c.severity} · ${c.status}`))))
      : el("p", {}, "No crisis has been activated."));
    const sessions = await api("/api/webinars").catch(() => []);
    $("webinar-list").replaceChildren(sessions.length ? el("div", {}, sessions.slice(0, 10).map((w) => el("div", { class: "list-item" },
      el("span", {}, w.topic), el("span", {}, `${when(w.starts_at)} · yes ${w.rsvp.yes || 0} / no ${w.rsvp.no || 0}`))))
      : el("p", {}, "No webinar session is scheduled."));
    $("activate-form").hidden = !state.me.can["crisis.activate"];
    $("crisis").hidden = !id;
    if (!id) return;
    const crisis = list.find((c) => String(c.id) === id);
    if (!crisis) { showError(`No crisis ${id}.`); return; }
    $("crisis-heading").textContent = `#${crisis.id} ${crisis.title} · ${crisis.region} · ${crisis.severity} · ${crisis.status}`;
    $("milestones").replaceChildren(el("ul", { class: "costs" }, crisis.milestones.map((m) =>
      el("li", {}, `${m.key.replace("_", " ")}: due ${when(m.due_at)}` + (m.done_at ? `, done ${when(m.done_at)}` : "")))));
    $("note-form").hidden = !state.me.can["crisis.activate"];
    $("close-crisis").hidden = !state.me.can["crisis.activate"] || crisis.status !== "active";
    $("note-form").dataset.crisis = id;
    await loadTimeline(id);
  } catch (error) {
    showError(error.status === 404 ? "Crises are not served by this relay process." : error.message);
  }
}

async function loadTimeline(id) {
  const entries = await api(`/api/crises/${id}/timeline`);
  $("timeline").replaceChildren(el("table", {},
    el("thead", {}, el("tr", {}, el("th", {}, "#"), el("th", {}, "time"), el("th", {}, "event"), el("th", {}, "by"), el("th", {}, "what"))),
    el("tbody", {}, entries.map((e) => el("tr", {}, el("td", {}, e.seq), el("td", {}, when(e.at)), el("td", {}, e.kind),
      el("td", {}, e.actor), el("td", {}, e.text))))));
}

async function download(format) {
  const id = $("note-form").dataset.crisis;
  const response = await fetch(`/api/crises/${id}/timeline?export=${format}`, { headers: { Authorization: `Bearer ${state.token}` } });
  if (!response.ok) { showError(`Export failed (${response.status}).`); return; }
  const link = el("a", { href: URL.createObjectURL(await response.blob()), download: `crisis-${id}.${format}` });
  document.body.append(link); link.click(); link.remove();
}

// --- wiring --------------------------------------------------------------------------------------

$("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await signIn($("token").value.trim());
    $("token").value = "";
    const home = state.me.can["broadcast.own_audience"] ? "#compose" : (state.me.can["flags.review"] ? "#moderation" : "#compose");
    // A changed hash routes through "hashchange"; routing here as well would load the page twice, and
    // the second load would wipe whatever was typed after the first.
    if (location.hash === home) route(); else location.hash = home;
  } catch (error) { showError(error.message); }
});
$("signout").addEventListener("click", signOut);
$("compose-form").addEventListener("input", (event) => {
  if (event.target.dataset.field) applyTemplate();
  if (!event.target.dataset.override) schedulePreview();
});
$("template").addEventListener("change", pickTemplate);
$("compose-form").addEventListener("change", schedulePreview);
$("send").addEventListener("click", send);
$("confirm").addEventListener("close", confirmed);
window.addEventListener("hashchange", route);
$("export-json").addEventListener("click", () => download("json"));
$("export-md").addEventListener("click", () => download("md"));
$("activate-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const crisis = await api("/api/crises", { method: "POST", body: {
      title: $("crisis-title").value, region: $("crisis-region").value.trim(), severity: $("crisis-severity").value } });
    $("crisis-title").value = "";
    location.hash = `#crises/${crisis.id}`;
  } catch (error) { showError(error.message); }
});
$("close-crisis").addEventListener("click", async () => {
  const id = $("note-form").dataset.crisis;
  if (!confirm(`Close crisis #${id}? Its reminders and escalations stop.`)) return;
  try { await api(`/api/crises/${id}/close`, { method: "POST" }); loadCrises(id); } catch (error) { showError(error.message); }
});
$("note-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const id = $("note-form").dataset.crisis;
  try {
    await api(`/api/crises/${id}/notes`, { method: "POST", body: { text: $("note").value } });
    $("note").value = "";
    await loadTimeline(id);
  } catch (error) { showError(error.message); }
});

(async () => {
  if (state.token) {
    try { await signIn(state.token); } catch { signOut(); return; }
  }
  route();
})();
