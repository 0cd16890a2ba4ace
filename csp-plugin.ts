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

/**
 * `worker: true` is the policy sent as a header (see cspPlugin): the same, except that scripts may
 * use eval, because protobufjs (the ONNX writer, which runs in the studio worker) compiles its
 * encoders with `Function`. A document enforces every policy it has, so the page itself, which also
 * has the meta tag, still allows no eval.
 */
export function contentSecurityPolicy(hubHosts: readonly string[], dev: boolean, options: { worker?: boolean } = {}): string {
  const connect = ["'self'", ...hubHosts, ...(dev ? ['ws:', 'wss:'] : [])];
  return [
    "default-src 'self'",
    `script-src 'self' 'wasm-unsafe-eval'${options.worker ? " 'unsafe-eval'" : ''}${dev ? " 'unsafe-inline'" : ''}`,
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

/**
 * The policy goes out twice. The <meta> tag travels with the built files to any static host, but it
 * binds only its document: a dedicated worker loaded from a URL (the studio worker, which downloads
 * the model) takes its policy from its own script's response headers, and under the meta tag alone
 * it could fetch any host (e2e/csp.e2e.test.ts found this). So `vite preview` and `vite dev` also
 * send a policy header on every response, the worker variant (eval allowed, for protobufjs); a
 * static host must send it too. Browsers ignore CSP headers on scripts other than workers, and the
 * document enforces both the header and the stricter meta tag.
 */
export function cspPlugin(extraHosts: string | undefined): Plugin {
  const hosts = [...DEFAULT_HUB_HOSTS, ...(extraHosts?.split(/[\s,]+/).filter(Boolean) ?? [])];
  let dev = false;
  const sendHeader = (middlewares: { use: (fn: (req: unknown, res: { setHeader(name: string, value: string): void }, next: () => void) => void) => void }) =>
    middlewares.use((_req, res, next) => {
      res.setHeader('Content-Security-Policy', contentSecurityPolicy(hosts, dev, { worker: true }));
      next();
    });
  return {
    name: 'embedding-studio-csp',
    configResolved(config) {
      dev = config.command === 'serve' && !config.isProduction;
    },
    configureServer(server) {
      sendHeader(server.middlewares);
    },
    configurePreviewServer(server) {
      sendHeader(server.middlewares);
    },
    transformIndexHtml() {
      return [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: contentSecurityPolicy(hosts, dev) }, injectTo: 'head-prepend' }];
    },
  };
}
