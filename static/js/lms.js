// Learning records: reflection editor with draft autosave (server every few seconds, and this
// device's localStorage so a closed tab loses nothing), and the print button of worksheets.
// Loaded with `defer` from the blocks that need it; no inline handlers (CSP-ready).
(function () {
  "use strict";
  if (window.passerellesLms) return; // the script tag may appear once per block
  window.passerellesLms = true;

  const SAVE_EVERY_MS = 4000;
  const t = (fr) => fr; // strings are French; the lead wires JS catalogues later

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

  function writeLocal(key, html) {
    try {
      window.localStorage.setItem(key, JSON.stringify({ html: html, at: Date.now() }));
    } catch (error) { /* storage full or disabled: the server copy remains */ }
  }

  function removeLocal(key) {
    try { window.localStorage.removeItem(key); } catch (error) { /* ignore */ }
  }

  function timeLabel(date) {
    return date.toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" });
  }

  const TOOLS = [
    ["bold", null, "G", "Gras"],
    ["italic", null, "I", "Italique"],
    ["insertUnorderedList", null, "• Liste", "Liste à puces"],
    ["insertOrderedList", null, "1. Liste", "Liste numérotée"],
    ["formatBlock", "blockquote", "« Citation »", "Citation"],
    ["createLink", "link", "Lien", "Insérer un lien"],
  ];

  function buildEditor(form, textarea) {
    const label = form.querySelector("label[for='" + textarea.id + "']");
    const toolbar = document.createElement("div");
    toolbar.className = "lms-editor__toolbar";
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", t("Mise en forme"));
    const editor = document.createElement("div");
    editor.className = "lms-editor__area prose";
    editor.contentEditable = "true";
    editor.setAttribute("role", "textbox");
    editor.setAttribute("aria-multiline", "true");
    if (label) {
      label.id = label.id || textarea.id + "-label";
      editor.setAttribute("aria-labelledby", label.id);
      label.addEventListener("click", () => editor.focus());
    }
    editor.innerHTML = textarea.value;
    TOOLS.forEach(([command, arg, text, title]) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "lms-editor__tool";
      button.textContent = text;
      button.title = title;
      button.setAttribute("aria-label", title);
      button.addEventListener("mousedown", (event) => event.preventDefault());
      button.addEventListener("click", () => {
        editor.focus();
        if (command === "createLink") {
          const url = window.prompt(t("Adresse du lien (https://…)"), "https://");
          if (!url || !/^(https?:|mailto:)/i.test(url)) return;
          document.execCommand("createLink", false, url);
        } else {
          document.execCommand(command, false, arg);
        }
        editor.dispatchEvent(new Event("input", { bubbles: true }));
      });
      toolbar.appendChild(button);
    });
    const wrapper = document.createElement("div");
    wrapper.className = "lms-editor";
    wrapper.appendChild(toolbar);
    wrapper.appendChild(editor);
    textarea.hidden = true;
    textarea.insertAdjacentElement("afterend", wrapper);
    try { document.execCommand("defaultParagraphSeparator", false, "p"); } catch (error) { /* old browsers */ }
    return editor;
  }

  function setupReflection(form) {
    const textarea = form.querySelector(".js-reflection-input");
    const status = form.querySelector(".lms-reflection__status");
    const key = form.dataset.storageKey;
    const draftUrl = form.dataset.draftUrl;
    if (!textarea || !key || !draftUrl) return;
    const editor = buildEditor(form, textarea);
    let dirty = false;
    let saving = false;

    const say = (text) => { if (status) status.textContent = text; };

    // Restore this device's copy when it is newer than the server's draft.
    const local = readLocal(key);
    const serverAt = Date.parse(form.dataset.savedAt || "") || 0;
    if (local && local.html !== textarea.value) {
      if (local.at > serverAt) {
        editor.innerHTML = local.html;
        textarea.value = local.html;
        dirty = true;
        say(t("Brouillon non enregistré retrouvé sur cet appareil : il a été restauré."));
      } else {
        removeLocal(key);
      }
    } else if (local) {
      removeLocal(key);
    }

    editor.addEventListener("input", () => {
      textarea.value = editor.innerHTML;
      writeLocal(key, textarea.value);
      dirty = true;
      say(t("Modifications en cours…"));
    });

    function save(keepalive) {
      if (!dirty || saving) return;
      saving = true;
      dirty = false;
      const body = new FormData();
      body.append("csrfmiddlewaretoken", csrfToken(form));
      body.append("body", textarea.value);
      fetch(draftUrl, {
        method: "POST", body: body, credentials: "same-origin", keepalive: !!keepalive,
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken(form) },
      })
        .then((response) => response.json().then((data) => ({ ok: response.ok, data: data })))
        .then(({ ok, data }) => {
          if (ok) {
            say(t("Brouillon enregistré à ") + timeLabel(new Date(data.saved_at)));
          } else {
            dirty = true;
            say((data && data.error) || t("Le brouillon n'a pas pu être enregistré ; il est gardé sur cet appareil."));
          }
        })
        .catch(() => {
          dirty = true;
          say(t("Hors connexion : le brouillon est gardé sur cet appareil."));
        })
        .finally(() => { saving = false; });
    }

    window.setInterval(save, SAVE_EVERY_MS);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") save(true);
    });
    form.addEventListener("submit", () => { textarea.value = editor.innerHTML; });
  }

  function init() {
    document.querySelectorAll("form.js-reflection").forEach(setupReflection);
    document.querySelectorAll(".js-print").forEach((button) => {
      button.addEventListener("click", () => window.print());
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
