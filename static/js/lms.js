// Learning records: draft autosave of the reflection blocks (server every few seconds, and this
// device's localStorage so a closed tab loses nothing), and the print button of worksheets.
// Loaded with `defer` by base.html on the pages that have an `lms` context; no inline handlers
// (CSP-ready). Every user-facing word comes from the #lms-strings element of
// templates/lms/includes/client_strings.html, translated on the server like rooms.js's strings.
(function () {
  "use strict";

  const SAVE_EVERY_MS = 4000;
  const STRINGS = document.getElementById("lms-strings");
  const t = (key) => (STRINGS && STRINGS.dataset[key]) || "";
  const fmt = (template, value) => template.replace("%s", value);

  function csrfToken(form) {
    const input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function readLocal(key) {
    try {
      return JSON.parse(window.localStorage.getItem(key) || "null");
    } catch (error) {
      return null;
    }
  }

  function writeLocal(key, text) {
    try {
      window.localStorage.setItem(key, JSON.stringify({ html: text, at: Date.now() }));
    } catch (error) { /* storage full or disabled: the server copy remains */ }
  }

  function removeLocal(key) {
    try { window.localStorage.removeItem(key); } catch (error) { /* ignore */ }
  }

  function timeLabel(date) {
    return date.toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" });
  }

  function setupReflection(form, textarea, key, draftUrl) {
    const status = document.createElement("p");
    status.className = "lms-reflection__status muted lms-small";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    textarea.insertAdjacentElement("afterend", status);
    let dirty = false;
    let saving = false;

    const say = (text) => { status.textContent = text; };

    // A local copy exists only while a change has not reached the server: restore it.
    const local = readLocal(key);
    if (local && local.html !== textarea.value) {
      textarea.value = local.html;
      dirty = true;
      say(t("restored"));
    } else if (local) {
      removeLocal(key);
    }

    textarea.addEventListener("input", () => {
      writeLocal(key, textarea.value);
      dirty = true;
      say(t("editing"));
    });

    function save(keepalive) {
      if (!dirty || saving) return;
      saving = true;
      dirty = false;
      const sent = textarea.value;
      const body = new FormData();
      body.append("csrfmiddlewaretoken", csrfToken(form));
      body.append(textarea.name, textarea.value);
      fetch(draftUrl, {
        method: "POST", body: body, credentials: "same-origin", keepalive: !!keepalive,
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken(form) },
      })
        .then((response) => response.json().then((data) => ({ ok: response.ok, data: data })))
        .then(({ ok, data }) => {
          if (ok) {
            if (textarea.value === sent) removeLocal(key);
            say(fmt(t("savedAt"), timeLabel(new Date(data.saved_at))));
          } else {
            dirty = true;
            say((data && data.error) || t("notSaved"));
          }
        })
        .catch(() => {
          dirty = true;
          say(t("offline"));
        })
        .finally(() => { saving = false; });
    }

    window.setInterval(save, SAVE_EVERY_MS);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") save(true);
    });
  }

  function clearAllDrafts() {
    try {
      Object.keys(window.localStorage)
        .filter((name) => name.indexOf("passerelles:reflection:") === 0)
        .forEach((name) => window.localStorage.removeItem(name));
    } catch (error) { /* ignore */ }
  }

  const SUBMIT_URL = /\/learn\/pages\/(\d+)\/reflections\/([^/]+)\/submit\/$/;

  function init() {
    // The cms reflection block posts its textarea to lms's submit URL: autosave it to the draft URL.
    document.querySelectorAll("form[action]").forEach((form) => {
      const match = SUBMIT_URL.exec(new URL(form.action, window.location.href).pathname);
      const textarea = form.querySelector("textarea[name=text]");
      if (!match || !textarea) return;
      setupReflection(form, textarea, "passerelles:reflection:" + match[1] + ":" + match[2],
        form.action.replace(/submit\/$/, "draft/"));
    });
    // A shared computer: the next person must not find this person's unsent drafts.
    document.querySelectorAll("form[action*='logout']").forEach((form) => {
      form.addEventListener("submit", clearAllDrafts);
    });
    document.querySelectorAll(".js-print").forEach((button) => {
      button.addEventListener("click", () => window.print());
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
