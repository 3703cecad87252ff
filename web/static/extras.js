// rankstream live page, part two: notices, the prize zone and mission
// progress. Loaded before app.js, which calls window.RS.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);

  // inZone: whether position pos with score wins now (the zone of
  // GET /v1/rewards/prizes, as contest.PrizeZone.Wins).
  function inZone(prizes, pos, score) {
    const z = prizes && prizes.zone;
    if (!z || pos == null || pos < 1) return false;
    if (z.min_score != null && score < z.min_score) return false;
    if (z.positive_only && score <= 0) return false;
    if (z.any_pos) return true;
    return (z.ranges || []).some((r) => pos >= r.from && pos <= r.to);
  }

  function noticeText(m) {
    switch (m.kind) {
      case "ends_soon": return "the window ends in 5 minutes";
      case "entered_top": return `you entered the top ${m.top}`;
      case "entered_prize_zone":
        return m.prize_minor ? `you are in the prize zone: ${m.prize_minor} ${m.currency}` : "you are in the prize zone";
      case "left_prize_zone": return "you left the prize zone";
      case "reward_available": return "a reward is ready to claim";
      default: return m.kind;
    }
  }

  // notice lists a notice (newest first, at most 10) and returns its text.
  function notice(m) {
    const ul = $("notices");
    const li = document.createElement("li");
    li.dataset.kind = m.kind;
    if (m.top) li.dataset.top = String(m.top);
    li.className = m.kind === "left_prize_zone" ? "down" : "up";
    li.textContent = noticeText(m);
    ul.insertBefore(li, ul.firstChild);
    while (ul.children.length > 10) ul.removeChild(ul.lastChild);
    $("notices-empty").hidden = true;
    return li.textContent;
  }

  function clearNotices() {
    $("notices").innerHTML = "";
    $("notices-empty").hidden = false;
  }

  // ---- missions ----
  // renderMissions draws one card per mission with a bar per step; a
  // step's reward shows its claim state from the player's rewards list
  // (claimed = granted, claimable = pending), never from progress alone.
  function renderMissions(list, rewards) {
    const box = $("missions-list");
    box.innerHTML = "";
    for (const { mission, progress } of list) {
      const card = document.createElement("div");
      card.className = "mission";
      card.dataset.mission = mission.id;
      card.dataset.ready = String(!!progress.reward_ready);
      const h = document.createElement("h3");
      h.textContent = mission.title;
      card.appendChild(h);
      for (const s of progress.steps || []) card.appendChild(stepRow(mission, s, rewards));
      const st = document.createElement("div");
      st.className = "mission-state";
      st.textContent = progress.reward_ready ? "reward ready: claim it below" : "";
      card.appendChild(st);
      box.appendChild(card);
    }
    $("missions-empty").hidden = list.length > 0;
  }

  function stepRow(mission, s, rewards) {
    const row = document.createElement("div");
    row.className = "step";
    row.dataset.step = s.id; row.dataset.done = String(!!s.done);
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = `${s.id} ${Math.min(s.progress, s.target)}/${s.target}`;
    const bar = document.createElement("progress");
    bar.max = Math.max(s.target, 1); bar.value = Math.min(s.progress, s.target);
    const claim = document.createElement("span");
    claim.className = "claim-state";
    const rw = rewards.find((r) => r.context === "mission" && r.id === mission.id && r.step === s.id);
    if (rw) claim.textContent = rw.status === "granted" ? "claimed" : rw.status === "pending" ? "claimable" : rw.status;
    if (rw) row.dataset.claim = claim.textContent;
    row.append(label, bar, claim);
    return row;
  }

  // loadMissions reads the live missions and the player's progress.
  async function loadMissions(user, rewards) {
    const r = await fetch("/v1/missions");
    if (r.status !== 200) { renderMissions([], rewards); return; }
    const ms = (await r.json()) || [];
    const out = [];
    for (const m of ms) {
      if (m.status !== "live" && m.status !== "closing") continue;
      const p = await fetch(`/v1/missions/${encodeURIComponent(m.id)}/progress?user=${encodeURIComponent(user)}`);
      if (p.status === 200) out.push({ mission: m, progress: await p.json() });
    }
    renderMissions(out, rewards);
  }

  window.RS = { inZone, notice, clearNotices, loadMissions };
})();
