/**
 * key proxy: nginx from the distribution with the server block of ../proxy-config.ts.
 * The default site goes (it would listen on port 80), so the proxy is the only listener.
 * TLS: the control plane's certificate when given, else a self-signed one made on the
 * machine; its SHA-256 fingerprint goes to the control plane with the "ready" stage so
 * the gateway can pin it.
 */
import type { Block, WriteFile } from '../types.js';
import { PATHS } from '../types.js';
import { renderProxyServer } from '../proxy-config.js';
import { dedent } from '../shell.js';

export const PROXY_FILES = {
  htpasswd: `${PATHS.proxyDir}/htpasswd`,
  cert: `${PATHS.proxyDir}/cert.pem`,
  key: `${PATHS.proxyDir}/key.pem`,
  template: `${PATHS.proxyDir}/server.conf.template`,
} as const;

export const proxyBlock: Block = (ctx) => {
  const { input } = ctx;
  const conf = renderProxyServer({
    listen: '@LISTEN@',
    port: input.proxyPort,
    upstreamPort: ctx.workloadPort,
    htpasswdPath: PROXY_FILES.htpasswd,
    tls: { certPath: PROXY_FILES.cert, keyPath: PROXY_FILES.key },
  });
  const files: WriteFile[] = [
    { path: PROXY_FILES.template, content: conf, permissions: '0644' },
    { path: PROXY_FILES.htpasswd, content: ctx.secrets.proxyHtpasswd + '\n', permissions: '0640' },
  ];
  if (input.tls && ctx.secrets.tlsKeyPem) {
    files.push({ path: PROXY_FILES.cert, content: input.tls.certPem.trim() + '\n', permissions: '0644' });
    files.push({ path: PROXY_FILES.key, content: ctx.secrets.tlsKeyPem.trim() + '\n', permissions: '0600' });
  }
  return {
    packages: ['nginx'],
    files,
    steps: [
      {
        name: 'proxy',
        script: dedent(`
          # nginx workers read the htpasswd file per request; only root and www-data may.
          chgrp www-data ${PROXY_FILES.htpasswd}
          if [ ! -s ${PROXY_FILES.cert} ]; then
            log "making a self-signed certificate"
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \\
              -subj "/CN=aloft-${input.deployment.id}" -keyout ${PROXY_FILES.key} -out ${PROXY_FILES.cert} 2>/dev/null
            chmod 600 ${PROXY_FILES.key}
          fi
          openssl x509 -in ${PROXY_FILES.cert} -noout -fingerprint -sha256 | sed 's/^.*=//' > "$STATE/tls-fingerprint"
          listen=0.0.0.0
          if [ -s "$STATE/listen-address" ]; then listen=$(cat "$STATE/listen-address"); fi
          sed "s/@LISTEN@/$listen/" ${PROXY_FILES.template} > ${PATHS.proxyConf}
          rm -f /etc/nginx/sites-enabled/default
          nginx -t
          systemctl enable nginx
          systemctl restart nginx
          log "key proxy listening on $listen:${input.proxyPort}"
        `),
      },
    ],
  };
};
