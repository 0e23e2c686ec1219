/**
 * Colours for canvas drawing, read from VS Code's theme variables (canvas cannot use CSS variables
 * directly). `onThemeChange` fires when VS Code switches theme: it changes the body class and the
 * variables on the root element.
 */

export function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.body).getPropertyValue(name).trim();
  return v || fallback;
}

export interface ChartTheme {
  foreground: string;
  grid: string;
  font: string;
  colors: Record<'blue' | 'orange' | 'green' | 'purple' | 'red' | 'yellow', string>;
}

export function chartTheme(): ChartTheme {
  const dark = document.body.classList.contains('vscode-dark') || document.body.classList.contains('vscode-high-contrast');
  const size = parseFloat(cssVar('--vscode-font-size', '13')) || 13;
  return {
    foreground: cssVar('--vscode-charts-foreground', cssVar('--vscode-foreground', dark ? '#cccccc' : '#616161')),
    grid: fade(cssVar('--vscode-charts-lines', dark ? 'rgba(204,204,204,0.5)' : 'rgba(97,97,97,0.5)'), 0.4),
    font: `${Math.max(10, size - 2)}px ${cssVar('--vscode-font-family', 'system-ui, sans-serif')}`,
    colors: {
      blue: cssVar('--vscode-charts-blue', '#3794ff'),
      orange: cssVar('--vscode-charts-orange', '#d18616'),
      green: cssVar('--vscode-charts-green', '#89d185'),
      purple: cssVar('--vscode-charts-purple', '#b180d7'),
      red: cssVar('--vscode-charts-red', '#f14c4c'),
      yellow: cssVar('--vscode-charts-yellow', '#cca700'),
    },
  };
}

/** The colour with its opacity multiplied by `factor` (for hex and rgb/rgba colours; others unchanged). */
export function fade(color: string, factor: number): string {
  const c = color.trim();
  let r: number, g: number, b: number, a = 1;
  const hex = /^#([0-9a-f]{3,8})$/i.exec(c);
  const rgb = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)$/i.exec(c);
  if (hex) {
    let x = hex[1];
    if (x.length <= 4) x = x.split('').map((ch) => ch + ch).join('');
    [r, g, b] = [0, 2, 4].map((i) => parseInt(x.slice(i, i + 2), 16));
    if (x.length === 8) a = parseInt(x.slice(6, 8), 16) / 255;
  } else if (rgb) {
    [r, g, b] = [rgb[1], rgb[2], rgb[3]].map(Number);
    if (rgb[4] !== undefined) a = rgb[4].endsWith('%') ? parseFloat(rgb[4]) / 100 : Number(rgb[4]);
  } else {
    return c;
  }
  return `rgba(${r}, ${g}, ${b}, ${Math.round(a * factor * 1000) / 1000})`;
}

export function onThemeChange(cb: () => void): void {
  let last = document.body.className;
  const fire = () => {
    const now = document.body.className + (document.documentElement.getAttribute('style') ?? '').length;
    if (now !== last) { last = now; cb(); }
  };
  const mo = new MutationObserver(fire);
  mo.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  mo.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
}
