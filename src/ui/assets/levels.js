// The member level panel's tabs (Level, Level history). Without this script both parts show, one below the other.
'use strict';

function setUpLevelTabs(panel) {
  const tablist = panel.querySelector('[role="tablist"]');
  const tabs = [...panel.querySelectorAll('[role="tab"]')];
  const select = (chosen, focus) => {
    for (const tab of tabs) {
      const selected = tab === chosen;
      tab.setAttribute('aria-selected', String(selected));
      tab.tabIndex = selected ? 0 : -1;
      document.getElementById(tab.getAttribute('aria-controls')).hidden = !selected;
    }
    if (focus) chosen.focus();
  };
  for (const tab of tabs) {
    tab.addEventListener('click', () => select(tab, false));
    tab.addEventListener('keydown', (event) => {
      if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft') return;
      const step = event.key === 'ArrowRight' ? 1 : -1;
      select(tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length], true);
    });
  }
  panel.classList.add('has-tabs');
  tablist.hidden = false;
  select(tabs[0], false);
}

function setUpAll() {
  for (const panel of document.querySelectorAll('[data-level-tabs]')) setUpLevelTabs(panel);
}

document.addEventListener('DOMContentLoaded', setUpAll);
// The card reads its figures again in place once an adjustment reaches the balance: the new panel gets its tabs.
document.addEventListener('card:figures-refreshed', setUpAll);
