/**
 * VS Code theme variables for the harness page: a subset of what VS Code sets in a webview, with the
 * values of the Dark Modern, Light Modern and Dark High Contrast themes. Plus VS Code's default
 * webview styles (VS Code injects these into every webview).
 */

export type ThemeName = 'light' | 'dark' | 'hc';

const common = {
  'font-family': '-apple-system, BlinkMacSystemFont, "Segoe WPC", "Segoe UI", "Ubuntu", "Droid Sans", sans-serif',
  'font-size': '13px',
  'font-weight': 'normal',
  'editor-font-family': '"Droid Sans Mono", "DejaVu Sans Mono", monospace',
  'editor-font-size': '13px',
};

const dark: Record<string, string> = {
  foreground: '#cccccc', descriptionForeground: '#9d9d9d', errorForeground: '#f85149', focusBorder: '#0078d4',
  'sideBar-background': '#181818', 'sideBarSectionHeader-background': '#181818', 'sideBarSectionHeader-foreground': '#cccccc',
  'sideBarSectionHeader-border': '#2b2b2b', 'editor-background': '#1f1f1f', 'editor-foreground': '#cccccc',
  'button-background': '#0078d4', 'button-foreground': '#ffffff', 'button-hoverBackground': '#026ec1', 'button-border': '#ffffff12',
  'button-secondaryBackground': '#313131', 'button-secondaryForeground': '#cccccc', 'button-secondaryHoverBackground': '#3c3c3c',
  'input-background': '#313131', 'input-foreground': '#cccccc', 'input-border': '#3c3c3c', 'input-placeholderForeground': '#989898',
  'dropdown-background': '#313131', 'dropdown-foreground': '#cccccc', 'dropdown-border': '#3c3c3c',
  'inputValidation-errorBorder': '#be1100', 'inputValidation-errorBackground': '#5a1d1d',
  'badge-background': '#616161', 'badge-foreground': '#f8f8f8', 'progressBar-background': '#0078d4',
  'widget-border': '#313131', 'panel-border': '#2b2b2b', 'list-hoverBackground': '#2a2d2e', 'list-inactiveSelectionBackground': '#37373d',
  'toolbar-hoverBackground': 'rgba(90, 93, 94, 0.31)', 'icon-foreground': '#cccccc', 'textLink-foreground': '#4daafc',
  'textBlockQuote-background': '#2b2b2b', 'textCodeBlock-background': 'rgba(10, 10, 10, 0.4)',
  'diffEditor-insertedTextBackground': 'rgba(156, 204, 44, 0.2)', 'diffEditor-removedTextBackground': 'rgba(255, 0, 0, 0.2)',
  'charts-foreground': '#cccccc', 'charts-lines': 'rgba(204, 204, 204, 0.5)', 'charts-red': '#f14c4c', 'charts-blue': '#3794ff',
  'charts-yellow': '#cca700', 'charts-orange': '#d18616', 'charts-green': '#89d185', 'charts-purple': '#b180d7',
  'testing-iconPassed': '#73c991', 'testing-iconFailed': '#f14c4c', 'checkbox-background': '#313131', 'editor-selectionBackground': '#264f78',
};

const light: Record<string, string> = {
  foreground: '#3b3b3b', descriptionForeground: '#717171', errorForeground: '#f85149', focusBorder: '#005fb8',
  'sideBar-background': '#f8f8f8', 'sideBarSectionHeader-background': '#f8f8f8', 'sideBarSectionHeader-foreground': '#3b3b3b',
  'sideBarSectionHeader-border': '#e5e5e5', 'editor-background': '#ffffff', 'editor-foreground': '#3b3b3b',
  'button-background': '#005fb8', 'button-foreground': '#ffffff', 'button-hoverBackground': '#0258a8', 'button-border': '#0000001a',
  'button-secondaryBackground': '#e5e5e5', 'button-secondaryForeground': '#3b3b3b', 'button-secondaryHoverBackground': '#cccccc',
  'input-background': '#ffffff', 'input-foreground': '#3b3b3b', 'input-border': '#cecece', 'input-placeholderForeground': '#767676',
  'dropdown-background': '#ffffff', 'dropdown-foreground': '#3b3b3b', 'dropdown-border': '#cecece',
  'inputValidation-errorBorder': '#be1100', 'inputValidation-errorBackground': '#f2dede',
  'badge-background': '#cccccc', 'badge-foreground': '#3b3b3b', 'progressBar-background': '#005fb8',
  'widget-border': '#e5e5e5', 'panel-border': '#e5e5e5', 'list-hoverBackground': '#f2f2f2', 'list-inactiveSelectionBackground': '#e4e6f1',
  'toolbar-hoverBackground': 'rgba(184, 184, 184, 0.31)', 'icon-foreground': '#3b3b3b', 'textLink-foreground': '#005fb8',
  'textBlockQuote-background': '#f2f2f2', 'textCodeBlock-background': 'rgba(220, 220, 220, 0.4)',
  'diffEditor-insertedTextBackground': 'rgba(156, 204, 44, 0.25)', 'diffEditor-removedTextBackground': 'rgba(255, 0, 0, 0.2)',
  'charts-foreground': '#3b3b3b', 'charts-lines': 'rgba(59, 59, 59, 0.5)', 'charts-red': '#e51400', 'charts-blue': '#1a85ff',
  'charts-yellow': '#bf8803', 'charts-orange': '#d18616', 'charts-green': '#388a34', 'charts-purple': '#652d90',
  'testing-iconPassed': '#388a34', 'testing-iconFailed': '#f14c4c', 'checkbox-background': '#f8f8f8', 'editor-selectionBackground': '#add6ff',
};

const hc: Record<string, string> = {
  ...dark,
  foreground: '#ffffff', descriptionForeground: '#ffffffb3', focusBorder: '#f38518', contrastBorder: '#6fc3df', contrastActiveBorder: '#f38518',
  'sideBar-background': '#000000', 'sideBarSectionHeader-background': '#000000', 'sideBarSectionHeader-border': '#6fc3df',
  'editor-background': '#000000', 'button-background': '#000000', 'button-border': '#6fc3df', 'button-secondaryBackground': '#000000',
  'button-secondaryForeground': '#ffffff', 'input-background': '#000000', 'input-border': '#6fc3df', 'dropdown-background': '#000000',
  'dropdown-border': '#6fc3df', 'badge-background': '#000000', 'badge-foreground': '#ffffff', 'widget-border': '#6fc3df',
  'panel-border': '#6fc3df', 'list-hoverBackground': '#000000', 'charts-foreground': '#ffffff', 'charts-lines': 'rgba(255, 255, 255, 0.5)',
  'textBlockQuote-background': '#000000', 'textCodeBlock-background': '#000000',
};

const bodyClass: Record<ThemeName, string> = { light: 'vscode-light', dark: 'vscode-dark', hc: 'vscode-high-contrast' };

export function themeCss(theme: ThemeName): string {
  const vars = { ...common, ...({ light, dark, hc }[theme]) };
  const decl = Object.entries(vars).map(([k, v]) => `  --vscode-${k}: ${v};`).join('\n');
  return `html {\n${decl}\n}\n${DEFAULT_WEBVIEW_CSS}`;
}

export function themeBodyClass(theme: ThemeName): string { return bodyClass[theme]; }

/** What VS Code puts in every webview before the page's own styles. */
const DEFAULT_WEBVIEW_CSS = `
body {
  background-color: transparent;
  color: var(--vscode-editor-foreground);
  font-family: var(--vscode-font-family);
  font-weight: var(--vscode-font-weight);
  font-size: var(--vscode-font-size);
  margin: 0;
  padding: 0 20px;
}
a, a code { color: var(--vscode-textLink-foreground); }
code { font-family: var(--vscode-editor-font-family); }
::-webkit-scrollbar { width: 10px; height: 10px; }
`;
