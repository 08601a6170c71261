/**
 * The key proxy's nginx server block: the only port the machine listens on.
 *
 * Why nginx: it is in the main archive of every image we boot (Ubuntu 22.04/24.04,
 * Debian 12), terminates TLS, and streams (SSE, chunked, WebSocket) with buffering off.
 * Caddy is not in Ubuntu 22.04's archive, and njs is packaged only on some of them.
 *
 * Why auth_basic: nginx's `map`/`if` string comparisons are not constant time. auth_basic
 * with a `$5$` (SHA-256-crypt) line hashes the presented secret with a salt the client
 * never sees and compares hashes, so the timing of that comparison tells an attacker
 * nothing about the secret (see sha-crypt.ts). The gateway sends
 * `Authorization: Basic base64("aloft:" + upstreamSecret)` and nginx drops the header
 * before the workload sees it.
 */
import { dedent } from './shell.js';

export interface ProxyConfigOptions {
  /** Address to listen on: 0.0.0.0, or the Tailscale address. */
  listen: string;
  port: number;
  /** Upstream port on 127.0.0.1. */
  upstreamPort: number;
  htpasswdPath: string;
  /** TLS files; omitted only by tests that exercise plain HTTP. */
  tls?: { certPath: string; keyPath: string };
}

/** A `server {}` block (plus its `map`) for nginx's `http {}` context. */
export function renderProxyServer(o: ProxyConfigOptions): string {
  const ssl = o.tls
    ? `
        ssl_certificate ${o.tls.certPath};
        ssl_certificate_key ${o.tls.keyPath};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:aloft:1m;`
    : '';
  return dedent(`
    # Aloft key proxy: checks the deployment's upstream secret, then streams to the workload.
    map $http_upgrade $aloft_connection {
        default upgrade;
        ''      '';
    }
    server {
        listen ${o.listen}:${o.port}${o.tls ? ' ssl' : ''};
        server_name _;
        server_tokens off;
        # The access log could only ever hold the user name "aloft"; it is off to keep the disk quiet.
        access_log off;${ssl}
        client_max_body_size 256m;

        location / {
            auth_basic "aloft";
            auth_basic_user_file ${o.htpasswdPath};

            proxy_pass http://127.0.0.1:${o.upstreamPort};
            proxy_http_version 1.1;
            proxy_set_header Authorization "";
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $aloft_connection;
            proxy_set_header X-Forwarded-Proto $scheme;
            # Stream both ways: tokens and SSE events leave as soon as the workload writes them.
            proxy_buffering off;
            proxy_request_buffering off;
            proxy_cache off;
            proxy_read_timeout 1h;
            proxy_send_timeout 1h;
        }
    }
  `);
}
