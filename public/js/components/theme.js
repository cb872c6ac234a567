// Light or dark: the system's scheme by default, or the one chosen in the account menu, kept
// in this browser (localStorage). app.css holds each colour as light-dark(light, dark); the
// choice only sets color-scheme through data-theme on <html>.

const KEY = 'entercrm.theme';
export const THEMES = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

export function currentTheme() {
  try {
    const stored = localStorage.getItem(KEY);
    return THEMES.some((t) => t.value === stored) ? stored : 'system';
  } catch {
    return 'system';
  }
}

export function applyTheme(value = currentTheme()) {
  if (value === 'light' || value === 'dark') document.documentElement.dataset.theme = value;
  else delete document.documentElement.dataset.theme;
}

export function setTheme(value) {
  try {
    if (value === 'system') localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, value);
  } catch {
    // Private windows may refuse storage: the choice then lasts as long as the page.
  }
  applyTheme(value);
}
