import type { Plugin } from 'vite';

/**
 * Writes the page's Content-Security-Policy. The only network traffic the studio makes is the
 * model download from the Hub (or a mirror), so connect-src names exactly those hosts: add your
 * mirror with VITE_HUB_HOSTS="https://mirror.example.org" at build time. 'wasm-unsafe-eval' is
 * for onnxruntime-web's WebAssembly; no eval of JavaScript is allowed.
 */
export const DEFAULT_HUB_HOSTS = [
  'https://huggingface.co',
  'https://*.huggingface.co',
  'https://*.hf.co',
  'https://hf-mirror.com',
];

export function contentSecurityPolicy(hubHosts: readonly string[], dev: boolean): string {
  const connect = ["'self'", ...hubHosts, ...(dev ? ['ws:', 'wss:'] : [])];
  return [
    "default-src 'self'",
    `script-src 'self' 'wasm-unsafe-eval'${dev ? " 'unsafe-inline'" : ''}`,
    "worker-src 'self' blob:",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
  ].join('; ');
}

export function cspPlugin(extraHosts: string | undefined): Plugin {
  const hosts = [...DEFAULT_HUB_HOSTS, ...(extraHosts?.split(/[\s,]+/).filter(Boolean) ?? [])];
  let dev = false;
  return {
    name: 'embedding-studio-csp',
    configResolved(config) {
      dev = config.command === 'serve' && !config.isProduction;
    },
    transformIndexHtml() {
      return [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy(hosts, dev) }, injectTo: 'head-prepend' }];
    },
  };
}
