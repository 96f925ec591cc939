// Role briefs seen side by side (facilitators, or after the debrief) become tabs when scripts run.
// Without JavaScript the briefs stay side by side and the tab links jump to each one.
(function () {
  document.querySelectorAll("[data-brief-tabs]").forEach((container, groupIndex) => {
    const list = container.querySelector("[data-brief-tablist]");
    const tabs = Array.from(container.querySelectorAll("[data-brief-tab]"));
    const panels = tabs.map((tab) => document.getElementById(tab.getAttribute("href").slice(1)));
    if (!list || tabs.length < 2 || panels.some((panel) => !panel)) return;
    container.classList.add("briefs--tabbed");
    list.setAttribute("role", "tablist");
    tabs.forEach((tab, index) => {
      tab.parentElement.setAttribute("role", "presentation");
      tab.setAttribute("role", "tab");
      tab.id = `brief-tab-${groupIndex}-${index}`;
      tab.setAttribute("aria-controls", panels[index].id);
      panels[index].setAttribute("role", "tabpanel");
      panels[index].setAttribute("aria-labelledby", tab.id);
      panels[index].setAttribute("tabindex", "0");
    });
    const select = (index, focus) => {
      tabs.forEach((tab, i) => {
        const selected = i === index;
        tab.setAttribute("aria-selected", String(selected));
        tab.setAttribute("tabindex", selected ? "0" : "-1");
        panels[i].hidden = !selected;
      });
      if (focus) tabs[index].focus();
    };
    tabs.forEach((tab, index) => {
      tab.addEventListener("click", (event) => {
        event.preventDefault();
        select(index, false);
      });
      tab.addEventListener("keydown", (event) => {
        const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -index, End: tabs.length - 1 - index };
        if (!(event.key in moves)) return;
        event.preventDefault();
        select((index + moves[event.key] + tabs.length) % tabs.length, true);
      });
    });
    select(0, false);
  });
})();
