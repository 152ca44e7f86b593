// The field page's script (twin/ui/field_page.py): the unit's orders, the acknowledgement, position sharing.
// What goes to the twin waits in localStorage ("field-outbox") until the twin answers, so a short loss of
// network loses nothing; every item carries its own idempotency key, made here once.
(function () {
  "use strict";
  const LANG = document.getElementById("field").dataset.lang === "en" ? "en" : "zh";
  const T = {
    loading: ["正在读取调度令…", "Loading orders…"],
    none: ["本单位目前没有待执行的调度令。", "No current order for your unit."],
    offline: ["网络中断：显示上次读取的调度令，提交将在恢复后自动补发。", "Offline: showing the last orders read; what you send goes out when the network is back."],
    updated: ["已更新 {t}", "updated {t}"],
    order: ["调度令", "Order"],
    unit: ["单元", "Unit"],
    officers: ["人数", "Officers"],
    status: ["状态", "Status"],
    deadline: ["到位时限", "Deadline"],
    ordered: ["下令时间", "Ordered"],
    eta: ["预计到达", "Expected arrival"],
    arrived: ["到达时间", "Arrived"],
    point: ["报到地点", "Reporting point"],
    coords: ["坐标", "Coordinates"],
    commander: ["现场指挥", "On-scene command"],
    window: ["授权时段", "Authorised window"],
    tasks: ["任务范围", "Task scope"],
    scope_rule: ["到达后接受接收地现场指挥，只在任务范围内行动；超出范围须经接收地授权。", "On arrival take orders from the receiving command only, and act only within the task's scope."],
    ack: ["确认接收调度令", "Acknowledge the order"],
    acked: ["已确认 {t}", "Acknowledged {t}"],
    ack_queued: ["确认已保存，网络恢复后发送", "Acknowledgement saved; it goes out when the network is back"],
    ack_refused: ["确认被拒绝：{d}", "Acknowledgement refused: {d}"],
    share_title: ["位置共享", "Position sharing"],
    share_note: ["开启后，本机定位将按间隔报送给省指挥中心（核心数据，仅省指挥中心可见），直至您关闭或到达报到地点。", "When on, this phone's position is reported at intervals to the province command centre (core data, seen by the province command only) until you stop it or arrive."],
    share_start: ["同意并开始共享位置", "Agree and start sharing"],
    share_stop: ["停止共享位置", "Stop sharing"],
    share_on: ["位置共享中（单元 {u}）", "Sharing position (unit {u})"],
    share_denied: ["未获定位授权：{d}", "No location permission: {d}"],
    no_fix: ["暂时无法定位，继续尝试…", "No fix for now; still trying…"],
    share_none: ["本浏览器不支持定位。", "This browser has no geolocation."],
    last_fix: ["最近定位 {t}，精度 {a} 米", "Last fix {t}, accuracy {a} m"],
    queue: ["待发送 {n} 条", "{n} waiting to be sent"],
    queue_empty: ["全部已送达", "All sent"],
    sent: ["位置已送达 {t}", "Position delivered {t}"],
    refused: ["被拒绝：{d}", "Refused: {d}"],
    st_ordered: ["待确认", "to acknowledge"], st_acknowledged: ["已确认", "acknowledged"],
    st_en_route: ["途中", "en route"], st_arrived: ["已到达", "arrived"], st_escalated: ["已催办", "escalated"],
    late: ["预计迟到", "expected late"],
  };
  const t = (k, v) => (T[k] ? T[k][LANG === "en" ? 1 : 0] : k).replace(/\{(\w+)\}/g, (_, n) => (v && n in v ? v[n] : ""));
  const OUTBOX = "field-outbox", ORDERS = "field-orders", MIN_INTERVAL_MS = 15000;
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const beijing = (iso) => {
    if (!iso) return "—";
    const d = new Date(new Date(iso).getTime() + 8 * 3600 * 1000);
    const p = (n) => String(n).padStart(2, "0");
    return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
  };
  // A key made on the phone: random 128 bits (crypto.getRandomValues works without TLS too).
  const newKey = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

  let orders = [], sharing = null, polling = null, pending = null, lastSent = 0, flushing = false, lastFix = null;
  const load = (name, fallback) => { try { return JSON.parse(localStorage.getItem(name)) || fallback; } catch (e) { return fallback; } };
  const save = (name, value) => localStorage.setItem(name, JSON.stringify(value));
  const outbox = () => load(OUTBOX, []);

  function enqueue(item) {
    const items = outbox();
    items.push(Object.assign({ key: newKey(), queued_at: new Date().toISOString() }, item));
    save(OUTBOX, items);
    showQueue();
    flush();
  }

  // Sends what waits, oldest first; stops at the first network failure (and tries again later).
  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      for (;;) {
        const items = outbox();
        if (!items.length) break;
        const item = items[0];
        let resp;
        try {
          const url = (item.kind === "ack" ? `/field/orders/${encodeURIComponent(item.order_id)}/ack` : "/field/positions") + `?lang=${LANG}`;
          const body = item.kind === "ack" ? { key: item.key, unit_id: item.unit_id } : Object.assign({ key: item.key }, item.report);
          resp = await fetch(url, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
        } catch (e) {
          setOnline(false);
          break;
        }
        if (resp.status === 401) { location.href = `/signin?lang=${LANG}&next=/field`; break; }
        if (resp.status >= 500 || resp.status === 429 || resp.status === 408) { setOnline(resp.status !== 503 ? true : false); break; }
        setOnline(true);
        const answer = await resp.json().catch(() => ({}));
        save(OUTBOX, outbox().filter((i) => i.key !== item.key));
        delivered(item, resp.status, answer);
      }
    } finally {
      flushing = false;
      showQueue();
    }
  }

  function delivered(item, status, answer) {
    const ok = status < 300;
    if (item.kind === "ack") {
      const o = orders.find((x) => x.order_id === item.order_id);
      if (ok && o) { o.acknowledged_at = answer.acknowledged_at || new Date().toISOString(); o.status = answer.status || "acknowledged"; save(ORDERS, orders); render(); }
      const note = $(`ack-note-${item.order_id}`);
      if (note) note.innerHTML = ok ? `<span class="ok">${esc(t("acked", { t: beijing(o && o.acknowledged_at) }))}</span>`
        : `<span class="bad">${esc(t("ack_refused", { d: answer.said || answer.detail || status }))}</span>`;
    } else {
      const el = $("share-result");
      if (el) el.innerHTML = ok ? `<span class="ok" id="position-delivered">${esc(t("sent", { t: beijing(item.report.at) }))}</span>`
        : `<span class="bad">${esc(t("refused", { d: answer.said || answer.detail || status }))}</span>`;
    }
  }

  function setOnline(online) {
    document.body.classList.toggle("field-offline", !online);
    if (!online) $("field-status").textContent = t("offline");
  }

  function showQueue() {
    const n = outbox().length;
    $("queue").innerHTML = `<span id="queue-count" data-n="${n}">${esc(n ? t("queue", { n }) : t("queue_empty"))}</span>`;
  }

  async function refresh() {
    try {
      const resp = await fetch(`/field/orders?lang=${LANG}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (resp.status === 401) { location.href = `/signin?lang=${LANG}&next=/field`; return; }
      const body = await resp.json();
      if (!resp.ok) throw new Error(body.detail || resp.status);
      orders = body.orders;
      save(ORDERS, orders);
      setOnline(true);
      $("field-status").textContent = t("updated", { t: beijing(new Date().toISOString()) });
    } catch (e) {
      orders = load(ORDERS, []);
      setOnline(false);
    }
    render();
  }

  const row = (label, value) => `<div class="row"><span>${esc(label)}</span><span>${value}</span></div>`;

  function render() {
    const pendingAcks = new Set(outbox().filter((i) => i.kind === "ack").map((i) => i.order_id));
    if (!orders.length) { $("orders").innerHTML = `<p class="card" id="no-orders">${esc(t("none"))}</p>`; $("share").hidden = true; return; }
    $("orders").innerHTML = orders.map((o) => {
      const rp = o.reporting_point || {}, pt = rp.point || {}, scope = o.scope || {};
      const status = `<span class="badge">${esc(t("st_" + o.status) !== "st_" + o.status ? t("st_" + o.status) : o.status)}</span>` + (o.late ? ` <span class="warn">${esc(t("late"))}</span>` : "");
      const ack = o.acknowledged_at
        ? `<p id="ack-note-${esc(o.order_id)}"><span class="ok">${esc(t("acked", { t: beijing(o.acknowledged_at) }))}</span></p>`
        : pendingAcks.has(o.order_id)
          ? `<p id="ack-note-${esc(o.order_id)}" class="warn">${esc(t("ack_queued"))}</p>`
          : `<button class="ack" data-order="${esc(o.order_id)}" data-unit="${esc(o.unit_id)}" id="ack-${esc(o.order_id)}">${esc(t("ack"))}</button><p id="ack-note-${esc(o.order_id)}"></p>`;
      return `<section class="card order" data-order="${esc(o.order_id)}"><h2>${esc(t("order"))} ${esc(o.order_id)}</h2>` +
        row(t("unit"), esc(o.unit_name || o.unit_id)) + row(t("officers"), esc(o.officers)) + row(t("status"), status) +
        row(t("ordered"), esc(beijing(o.ordered_at))) + row(t("deadline"), `<strong>${esc(beijing(o.deadline))}</strong>`) +
        (o.arrived_at ? row(t("arrived"), `<span id="arrived-${esc(o.order_id)}">${esc(beijing(o.arrived_at))}</span>`)
          : o.eta ? row(t("eta"), `<span id="eta-${esc(o.order_id)}"${o.late ? ' class="warn"' : ""}>${esc(beijing(o.eta))}</span>`) : "") +
        row(t("point"), `<strong id="reporting-point">${esc(rp.name || "—")}</strong>`) +
        row(t("coords"), pt.lon != null ? `${esc(Number(pt.lat).toFixed(5))}, ${esc(Number(pt.lon).toFixed(5))}` : "—") +
        row(t("commander"), esc(o.receiving_commander || "—")) +
        row(t("window"), `${esc(beijing(scope.from))} – ${esc(beijing(scope.until))}`) +
        `<div><span class="muted">${esc(t("tasks"))}</span><ul id="scope-tasks">${(scope.tasks || []).map((x) => `<li>${esc(x)}</li>`).join("")}</ul>` +
        `<p class="muted">${esc(t("scope_rule"))}</p></div>${ack}</section>`;
    }).join("");
    document.querySelectorAll("button.ack").forEach((b) => b.addEventListener("click", () => {
      b.disabled = true;
      enqueue({ kind: "ack", order_id: b.dataset.order, unit_id: b.dataset.unit });
      render();
    }));
    renderShare();
  }

  function activeOrder() {
    return orders.find((o) => o.status !== "arrived") || orders[0];
  }

  function renderShare() {
    const box = $("share");
    box.hidden = false;
    const o = activeOrder();
    const fix = lastFix ? `<p class="muted" id="last-fix">${esc(t("last_fix", { t: beijing(new Date(lastFix.timestamp).toISOString()), a: Math.round(lastFix.coords.accuracy) }))}</p>` : "";
    box.innerHTML = `<h2>${esc(t("share_title"))}</h2>` + (sharing === null
      ? `<p class="muted">${esc(t("share_note"))}</p><button id="share-start">${esc(t("share_start"))}</button>`
      : `<p class="ok" id="share-on">${esc(t("share_on", { u: o ? (o.unit_name || o.unit_id) : "" }))}</p><button class="secondary" id="share-stop">${esc(t("share_stop"))}</button>`) +
      fix + `<p id="share-result"></p>`;
    const start = $("share-start"), stop = $("share-stop");
    if (start) start.addEventListener("click", startSharing);
    if (stop) stop.addEventListener("click", stopSharing);
  }

  function startSharing() {
    if (!("geolocation" in navigator)) { $("share-result").textContent = t("share_none"); return; }
    sharing = navigator.geolocation.watchPosition(onFix, (err) => {
      if (err.code === 1) {   // permission denied: stop; no fix for a while (a tunnel): keep watching
        stopSharing();
        $("share-result").innerHTML = `<span class="bad">${esc(t("share_denied", { d: err.message || err.code }))}</span>`;
      } else {
        $("share-result").innerHTML = `<span class="warn">${esc(t("no_fix"))}</span>`;
      }
    }, { enableHighAccuracy: true, maximumAge: 10000, timeout: 60000 });
    // A unit standing still gets no new fix from the watch: ask again each interval, so the command
    // centre keeps hearing from it.
    polling = setInterval(() => navigator.geolocation.getCurrentPosition(onFix, () => {},
      { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 }), MIN_INTERVAL_MS);
    renderShare();
  }

  function stopSharing() {
    if (sharing !== null) navigator.geolocation.clearWatch(sharing);
    if (polling !== null) clearInterval(polling);
    sharing = polling = null;
    renderShare();
  }

  // Every fix is kept; one report goes out per interval at most, always the newest fix (a fix that
  // comes too soon is sent when the interval is over, unless a newer one replaces it).
  function onFix(pos) {
    lastFix = pos;
    const wait = lastSent + MIN_INTERVAL_MS - Date.now();
    if (wait > 0) {
      if (pending === null) pending = setTimeout(() => { pending = null; if (sharing !== null) report(lastFix); }, wait);
    } else {
      report(pos);
    }
    renderShare();
  }

  function report(pos) {
    const o = activeOrder();
    if (!o || !pos) return;
    lastSent = Date.now();
    const c = pos.coords, data = {
      unit_id: o.unit_id, order_id: o.order_id, at: new Date(pos.timestamp || lastSent).toISOString(),
      point: { lon: Math.round(c.longitude * 1e6) / 1e6, lat: Math.round(c.latitude * 1e6) / 1e6 },
      accuracy_m: Math.max(0, c.accuracy || 0),
    };
    if (c.speed != null && c.speed >= 0) data.speed_kmh = Math.min(400, c.speed * 3.6);
    if (c.heading != null && c.heading >= 0 && c.heading < 360) data.heading = c.heading;
    enqueue({ kind: "position", report: data });
  }

  $("field-status").textContent = t("loading");
  window.addEventListener("online", flush);
  setInterval(flush, 5000);
  setInterval(refresh, 30000);
  showQueue();
  refresh().then(flush);
})();
