// Progressive enhancement for the contact card; every page works without it.
'use strict';

// Dates come from the server in UTC; show them in the reader's own time zone.
function localiseTimes(root) {
  const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
  for (const element of root.querySelectorAll('time[datetime][data-format]')) {
    const at = new Date(element.getAttribute('datetime'));
    if (Number.isNaN(at.getTime())) continue;
    element.title = element.textContent;
    element.textContent = (element.dataset.format === 'date' ? dateOnly : dateTime).format(at);
  }
}

document.addEventListener('DOMContentLoaded', () => {
  localiseTimes(document);
});
