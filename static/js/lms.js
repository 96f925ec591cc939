// Learning records: reflection editor with draft autosave (server every few seconds, and this
// device's localStorage so a closed tab loses nothing), and the print button of worksheets.
// Loaded with `defer` by base.html on the pages that have an `lms` context; no inline handlers
// (CSP-ready). Every user-facing word comes from the #lms-strings element of
// templates/lms/includes/client_strings.html, translated on the server like rooms.js's strings.
(function () {
  "use strict";
  if (window.passerellesLms) return; // the script tag may appear once per block
  window.passerellesLms = true;

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

  function writeLocal(key, html) {
    try {
      window.localStorage.setItem(key, JSON.stringify({ html: html, at: Date.now() }));
    } catch (error) { /* storage full or disabled: the server copy remains */ }
  }

  function removeLocal(key) {
    try { window.localStorage.removeItem(key); } catch (error) { /* ignore */ }
  }

  function timeLabel(date) {
    return date.toLocaleTimeString(document.documentElement.lang || undefined, { hour: "2-digit", minute: "2-digit" });
  }

  // [command, argument, keys of the button's label and title in #lms-strings]
  const TOOLS = [
    ["bold", null, "boldLabel", "boldTitle"],
    ["italic", null, "italicLabel", "italicTitle"],
    ["insertUnorderedList", null, "bulletsLabel", "bulletsTitle"],
    ["insertOrderedList", null, "numbersLabel", "numbersTitle"],
    ["formatBlock", "blockquote", "quoteLabel", "quoteTitle"],
    ["createLink", "link", "linkLabel", "linkTitle"],
  ];

  function buildEditor(form, textarea) {
    const label = form.querySelector("label[for='" + textarea.id + "']");
    const toolbar = document.createElement("div");
    toolbar.className = "lms-editor__toolbar";
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", t("toolbar"));
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
    TOOLS.forEach(([command, arg, labelKey, titleKey]) => {
      const title = t(titleKey);
      const button = document.createElement("button");
      button.type = "button";
      button.className = "lms-editor__tool";
      button.textContent = t(labelKey);
      button.title = title;
      button.setAttribute("aria-label", title);
      button.addEventListener("mousedown", (event) => event.preventDefault());
      button.addEventListener("click", () => {
        editor.focus();
        if (command === "createLink") {
          const url = window.prompt(t("linkPrompt"), "https://");
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

  // rich: lms's own form (HTML editor); otherwise the cms block's plain textarea.
  function setupReflection(form, textarea, options) {
    const key = options.key;
    const draftUrl = options.draftUrl;
    if (!textarea || !key || !draftUrl) return;
    let status = form.querySelector(".lms-reflection__status");
    if (!status) {
      status = document.createElement("p");
      status.className = "lms-reflection__status muted lms-small";
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      textarea.insertAdjacentElement("afterend", status);
    }
    const editor = options.rich ? buildEditor(form, textarea) : null;
    const input = editor || textarea;
    const getContent = () => (editor ? editor.innerHTML : textarea.value);
    const setContent = (value) => {
      if (editor) editor.innerHTML = value;
      textarea.value = value;
    };
    let dirty = false;
    let saving = false;

    const say = (text) => { if (status) status.textContent = text; };

    // A local copy exists only while a change has not reached the server: restore it.
    const local = readLocal(key);
    if (local && local.html !== textarea.value) {
      setContent(local.html);
      dirty = true;
      say(t("restored"));
    } else if (local) {
      removeLocal(key);
    }

    input.addEventListener("input", () => {
      textarea.value = getContent();
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
      body.append("body", textarea.value);
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
    form.addEventListener("submit", () => { textarea.value = getContent(); });
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
    document.querySelectorAll("form.js-reflection").forEach((form) => {
      setupReflection(form, form.querySelector(".js-reflection-input"), {
        key: form.dataset.storageKey, draftUrl: form.dataset.draftUrl, rich: true,
      });
    });
    // The cms reflection block posts a plain textarea to lms's submit URL: autosave it too.
    document.querySelectorAll("form[action]").forEach((form) => {
      if (form.classList.contains("js-reflection")) return;
      const match = SUBMIT_URL.exec(new URL(form.action, window.location.href).pathname);
      const textarea = form.querySelector("textarea[name=text]");
      if (!match || !textarea) return;
      setupReflection(form, textarea, {
        key: "passerelles:reflection:" + match[1] + ":" + match[2],
        draftUrl: form.action.replace(/submit\/$/, "draft/"),
        rich: false,
      });
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
