// rankstream live page: plain JavaScript, no framework.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const state = {
    token: null, user: null, expires: 0,
    contests: [], contest: null, window: null, windowEnd: null,
    me: null, top: [], ws: null, retry: 0, retryTimer: null,
    prizes: null, rewardsTimer: null, rewards: [],
  };

  // ---- session ----
  function loadSession() {
    try {
      const s = JSON.parse(localStorage.getItem("rs_session") || "null");
      if (s && s.token && Date.parse(s.expires_at) > Date.now()) return s;
    } catch (_) { /* ignore */ }
    return null;
  }
  function saveSession(s) { localStorage.setItem("rs_session", JSON.stringify(s)); }
  function clearSession() { localStorage.removeItem("rs_session"); }

  async function api(path, body) {
    const r = await fetch(path, {
      method: body ? "POST" : "GET",
      headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    let data = null;
    try { data = await r.json(); } catch (_) { /* empty */ }
    return { status: r.status, data };
  }

  async function login(register) {
    const body = { login: $("login").value.trim(), password: $("password").value };
    $("auth-error").textContent = "";
    if (register) {
      const r = await api("/v1/auth/register", body);
      if (r.status !== 201) {
        $("auth-error").textContent = (r.data && r.data.error) || "registration failed";
        return;
      }
    }
    const r = await api("/v1/auth/login", body);
    if (r.status !== 200) {
      $("auth-error").textContent = (r.data && r.data.error) || "login failed";
      return;
    }
    const s = { token: r.data.token, expires_at: r.data.expires_at, user: r.data.user_id || body.login };
    saveSession(s);
    start(s);
  }

  function logout() {
    clearSession();
    if (state.ws) { state.ws.onclose = null; state.ws.close(); state.ws = null; }
    clearTimeout(state.retryTimer);
    clearInterval(state.rewardsTimer);
    $("live-view").hidden = true; $("who").hidden = true; $("auth-view").hidden = false;
    setConn(false);
  }

  async function start(s) {
    state.token = s.token; state.user = s.user; state.expires = Date.parse(s.expires_at);
    $("auth-view").hidden = true; $("live-view").hidden = false; $("who").hidden = false;
    $("user-id").textContent = s.user;
    const r = await api("/v1/contests");
    state.contests = Array.isArray(r.data) ? r.data : [];
    const sel = $("contest");
    sel.innerHTML = "";
    for (const c of state.contests) {
      const o = document.createElement("option");
      o.value = c.id; o.textContent = `${c.title} (${c.status})`;
      sel.appendChild(o);
    }
    const live = state.contests.find((c) => c.status === "live") || state.contests[0];
    if (live) { sel.value = live.id; pick(live.id); }
    connect();
    loadRewards();
    clearInterval(state.rewardsTimer);
    state.rewardsTimer = setInterval(loadRewards, 2000);
  }

  // ---- rewards ----
  async function authed(path, body) {
    const r = await fetch(path, {
      method: body ? "POST" : "GET",
      headers: Object.assign({ Authorization: `Bearer ${state.token}` }, body ? { "Content-Type": "application/json" } : {}),
      body: body ? JSON.stringify(body) : undefined,
    });
    let data = null;
    try { data = await r.json(); } catch (_) { /* empty */ }
    return { status: r.status, data };
  }

  async function loadPrizes(id) {
    const r = await api(`/v1/rewards/prizes/${encodeURIComponent(id)}`);
    if (state.contest !== id) return;
    state.prizes = r.status === 200 ? r.data : null;
    renderPrize();
    renderTop(state.top);
  }

  // renderPrize shows what the player's position would win (ladder prizes
  // are known per place; the others depend on the final standings).
  function renderPrize() {
    const el = $("my-prize"), p = state.prizes, m = state.me;
    if (!p) { el.textContent = ""; return; }
    const money = (n) => `${n} ${p.currency}`;
    if (p.distribution !== "ladder") {
      const zone = m && m.pos != null && RS.inZone(p, m.pos, m.score) ? ": in the prize zone" : "";
      el.textContent = `pool ${money(p.pool_minor)} (${p.distribution})${zone}`;
      el.classList.toggle("win", !!zone);
      return;
    }
    if (!m || m.pos == null) { el.textContent = ""; return; }
    const hit = (p.places || []).find((r) => m.pos >= r.from && m.pos <= r.to);
    const below = p.min_score != null && m.score < p.min_score;
    el.textContent = hit && !below ? `prize at this place: ${money(hit.amount_minor)}` : "no prize at this place";
    el.classList.toggle("win", !!hit && !below);
  }

  async function loadRewards() {
    if (!state.token) return;
    const r = await authed("/v1/rewards");
    if (r.status !== 200 || !r.data) return;
    const ul = $("rewards-list");
    ul.innerHTML = "";
    state.rewards = r.data.rewards || [];
    RS.loadMissions(state.user, state.rewards);
    for (const rw of state.rewards) {
      const li = document.createElement("li");
      li.dataset.reward = rw.reward_id; li.dataset.status = rw.status;
      const what = document.createElement("span");
      what.className = "what";
      what.textContent = `${rw.id}${rw.step ? " " + rw.step : ""} #${rw.pos || "-"}: ${rw.amount_minor} ${rw.currency} (${rw.kind})`;
      const st = document.createElement("span");
      st.className = "status"; st.textContent = rw.status;
      li.append(what, st);
      if (rw.status === "pending") {
        const b = document.createElement("button");
        b.type = "button"; b.className = "claim"; b.textContent = "Claim";
        b.addEventListener("click", () => claim(rw, b));
        li.appendChild(b);
      }
      ul.appendChild(li);
    }
    $("rewards-empty").hidden = ul.children.length > 0;
  }

  async function claim(rw, button) {
    button.disabled = true;
    const r = await authed("/v1/rewards/claim", { context: rw.context, id: rw.id, window: rw.window, step: rw.step || "", division: rw.division || "" });
    if (r.status !== 201 && r.status !== 200) {
      button.disabled = false;
      button.textContent = (r.data && r.data.error) || "claim failed";
    }
    await loadRewards();
  }

  function pick(id) {
    const c = state.contests.find((x) => x.id === id);
    const prev = state.contest;
    state.contest = id;
    state.window = c && c.window ? c.window.start : null;
    state.windowEnd = c && c.window ? Date.parse(c.window.end) : null;
    state.me = null; state.top = []; state.prizes = null;
    renderMe(null); renderTop([]); $("feed").innerHTML = ""; RS.clearNotices();
    if (id) loadPrizes(id);
    if (state.ws && state.ws.readyState === WebSocket.OPEN) {
      if (prev && prev !== id) state.ws.send(JSON.stringify({ op: "unsubscribe", contest: prev }));
      state.ws.send(JSON.stringify({ op: "subscribe", contest: id }));
    }
  }

  // ---- live connection ----
  function setConn(on) {
    $("conn-state").classList.toggle("on", on);
    $("conn-state").title = on ? "live" : "disconnected";
    document.body.dataset.ws = on ? "open" : "closed";
  }

  function connect() {
    if (Date.now() >= state.expires) { logout(); return; }
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}/v1/ws?token=${encodeURIComponent(state.token)}`);
    state.ws = ws;
    ws.onopen = () => {
      state.retry = 0; setConn(true);
      if (state.contest) ws.send(JSON.stringify({ op: "subscribe", contest: state.contest }));
    };
    ws.onmessage = (ev) => {
      let m; try { m = JSON.parse(ev.data); } catch (_) { return; }
      if (m.contest !== state.contest) return;
      if (m.window && state.window && m.window !== state.window) {
        if (m.window < state.window) return; // an older window being reconciled
        state.window = m.window; state.windowEnd = null; state.me = null; // a new window began
        refreshWindowEnd();
      }
      if (m.type === "top") renderTop(m.top || [], m.total);
      else if (m.type === "rank") onRank(m);
      else if (m.type === "notice") onNotice(m);
    };
    let opened = false;
    ws.addEventListener("open", () => { opened = true; });
    ws.onclose = async () => {
      setConn(false);
      if (state.ws !== ws) return;
      if (!opened && !(await tokenValid())) { // refused (401): the session is over
        logout();
        $("auth-error").textContent = "session expired, please log in again";
        return;
      }
      state.retry = Math.min(state.retry + 1, 6);
      state.retryTimer = setTimeout(connect, 250 * 2 ** state.retry);
    };
  }

  // tokenValid asks the server whether the stored token still works.
  async function tokenValid() {
    try {
      const r = await fetch("/v1/auth/me", { headers: { Authorization: `Bearer ${state.token}` } });
      return r.status !== 401;
    } catch (_) {
      return true; // server unreachable: keep retrying
    }
  }

  async function refreshWindowEnd() {
    const r = await api("/v1/contests");
    if (!Array.isArray(r.data)) return;
    state.contests = r.data;
    const c = r.data.find((x) => x.id === state.contest);
    if (c && c.window && c.window.start === state.window) state.windowEnd = Date.parse(c.window.end);
  }

  // ---- rendering ----
  function plural(n, one, many) { return `${n} ${n === 1 ? one : many}`; }

  function feed(text, cls) {
    const li = document.createElement("li");
    li.textContent = text; li.className = cls;
    const ul = $("feed");
    ul.insertBefore(li, ul.firstChild);
    while (ul.children.length > 8) ul.removeChild(ul.lastChild);
  }

  function onNotice(m) {
    feed(RS.notice(m), m.kind === "left_prize_zone" ? "down" : "up");
    if (m.kind === "reward_available") loadRewards();
  }

  function onRank(m) {
    const prev = state.me;
    state.me = m;
    if (prev && prev.pos != null && m.pos != null) {
      if (m.score !== prev.score && m.points > 0) feed(`+${m.points} points`, "up");
      const moved = m.moved || (prev.pos - m.pos);
      if (moved > 0) feed(`you rose ${plural(moved, "place", "places")}`, "up");
      if (moved < 0) feed(`you dropped ${plural(-moved, "place", "places")}`, "down");
    } else if (prev && prev.pos == null && m.pos != null) {
      if (m.points > 0) feed(`+${m.points} points`, "up");
      feed(`you are on the board at place ${m.pos}`, "up");
    }
    renderMe(m);
    renderTop(state.top);
  }

  function renderMe(m) {
    const you = document.querySelector(".you");
    const oldPos = $("my-pos").textContent;
    $("my-pos").textContent = m && m.pos != null ? String(m.pos) : "–";
    $("my-score").textContent = m && m.score != null ? String(m.score) : "0";
    $("total").textContent = m && m.total != null ? String(m.total) : "–";
    let gap = "no points yet";
    if (m && m.pos != null) {
      if (m.pos === 1) gap = "you lead";
      else if (m.gap_to_next === 0) gap = `level with place ${m.pos - 1}`;
      else if (m.gap_to_next != null) gap = `${m.gap_to_next} points to place ${m.pos - 1}`;
    }
    $("gap").textContent = gap;
    renderPrize();
    if (oldPos !== $("my-pos").textContent) {
      you.classList.remove("bump"); void you.offsetWidth; you.classList.add("bump");
    }
  }

  // renderTop reuses each user's row and slides it from its old place (FLIP).
  function renderTop(rows, total) {
    state.top = rows;
    const ol = $("top-list");
    const before = new Map();
    for (const li of ol.children) before.set(li.dataset.user, { top: li.getBoundingClientRect().top, score: li.dataset.score });
    const byUser = new Map([...ol.children].map((li) => [li.dataset.user, li]));
    const frag = document.createDocumentFragment();
    for (const r of rows) {
      let li = byUser.get(r.user);
      if (!li) {
        li = document.createElement("li");
        li.innerHTML = '<span class="p"></span><span class="u"></span><span class="s"></span>';
      }
      byUser.delete(r.user);
      li.dataset.user = r.user; li.dataset.score = String(r.score);
      li.querySelector(".p").textContent = String(r.pos);
      li.querySelector(".u").textContent = r.user;
      li.querySelector(".s").textContent = String(r.score);
      li.classList.toggle("me", r.user === state.user);
      li.classList.toggle("zone", RS.inZone(state.prizes, r.pos, r.score));
      frag.appendChild(li);
    }
    ol.innerHTML = "";
    ol.appendChild(frag);
    $("top-empty").hidden = rows.length > 0;
    for (const li of ol.children) {
      const b = before.get(li.dataset.user);
      if (!b) continue;
      const dy = b.top - li.getBoundingClientRect().top;
      if (b.score !== li.dataset.score) {
        li.classList.add("changed");
        setTimeout(() => li.classList.remove("changed"), 600);
      }
      if (dy) {
        li.style.transition = "none";
        li.style.transform = `translateY(${dy}px)`;
        requestAnimationFrame(() => requestAnimationFrame(() => {
          li.style.transition = ""; li.style.transform = "";
        }));
      }
    }
    if (total != null && state.me && state.me.pos == null) $("total").textContent = String(total);
  }

  function tick() {
    const el = $("countdown");
    if (!state.windowEnd) { el.textContent = "–"; return; }
    let s = Math.floor((state.windowEnd - Date.now()) / 1000);
    if (s <= 0) { el.textContent = "window closed"; $("window-label").textContent = ""; return; }
    $("window-label").textContent = "ends in";
    const d = Math.floor(s / 86400); s %= 86400;
    const h = Math.floor(s / 3600); s %= 3600;
    const mm = String(Math.floor(s / 60)).padStart(2, "0");
    const ss = String(s % 60).padStart(2, "0");
    el.textContent = (d ? `${d}d ` : "") + `${String(h).padStart(2, "0")}:${mm}:${ss}`;
  }

  // ---- wiring ----
  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", (e) => { e.preventDefault(); login(false); });
    $("btn-register").addEventListener("click", () => {
      if (!$("login-form").reportValidity()) return;
      if ($("password").value.length < 10) {
        $("auth-error").textContent = "choose a password of at least 10 characters";
        return;
      }
      login(true);
    });
    $("btn-logout").addEventListener("click", logout);
    $("contest").addEventListener("change", (e) => pick(e.target.value));
    setInterval(tick, 1000); tick();
    const s = loadSession();
    if (s) start(s);
  });
})();
