/**
 * ollama: the model server, on 127.0.0.1:11434 only (the key proxy is the way in).
 *  - native (default): Ollama's installer and systemd unit, with a drop-in for the
 *    listen address, the models directory and the spec's environment.
 *  - container: the ollama/ollama image with the port published on 127.0.0.1 only.
 * With a data volume the models live on it, so a replaced or restarted machine finds the
 * model there and the pull is skipped.
 */
import type { Block, BlockContext } from '../types.js';
import { PATHS } from '../types.js';
import { dedent, plainEnvFile, shq } from '../shell.js';

export const OLLAMA_PORT = 11434;

function ollamaEnv(ctx: BlockContext, modelsDir: string | null): Record<string, string> {
  const spec = ctx.input.spec;
  if (spec.kind !== 'ollama') return {};
  const env: Record<string, string> = { OLLAMA_HOST: `127.0.0.1:${OLLAMA_PORT}` };
  if (modelsDir) env.OLLAMA_MODELS = modelsDir;
  if (spec.context) env.OLLAMA_CONTEXT_LENGTH = String(spec.context);
  for (const name of Object.keys(spec.env ?? {})) env[name] = ctx.secrets.env[name] ?? '';
  return env;
}

export const ollamaBlock: Block = (ctx) => {
  const spec = ctx.input.spec;
  if (spec.kind !== 'ollama') return null;
  const container = ctx.input.options?.ollamaMode === 'container';
  // Without a data volume: the installer's default models directory, or a host directory for the container.
  const base = ctx.dataDir ? `${ctx.dataDir}/ollama` : container ? '/var/lib/aloft-ollama' : null;
  const modelsDir = container ? null : base && `${base}/models`;
  const env = ollamaEnv(ctx, modelsDir);
  if (container) env.OLLAMA_HOST = `0.0.0.0:${OLLAMA_PORT}`; // inside the container; published on 127.0.0.1 only
  const model = shq(spec.model);

  const run = container
    ? dedent(`
        mkdir -p ${base}
        docker rm -f aloft-ollama >/dev/null 2>&1 || true
        docker run -d --name aloft-ollama --restart unless-stopped ${ctx.nvidia ? '--gpus all ' : ''}\\
          -p 127.0.0.1:${OLLAMA_PORT}:${OLLAMA_PORT} -v ${base}:/root/.ollama \\
          --env-file ${PATHS.workloadEnv} ollama/ollama
        OLLAMA="docker exec aloft-ollama ollama"
      `)
    : dedent(`
        if ! command -v ollama >/dev/null 2>&1; then
          curl -fsSL https://ollama.com/install.sh -o /tmp/ollama-install.sh
          sh /tmp/ollama-install.sh
          rm -f /tmp/ollama-install.sh
        fi
${base ? `        mkdir -p ${modelsDir}
        chown -R ollama:ollama ${base}
` : ''}        mkdir -p /etc/systemd/system/ollama.service.d
        printf '[Service]\\nEnvironmentFile=${PATHS.workloadEnv}\\n' > /etc/systemd/system/ollama.service.d/aloft.conf
        systemctl daemon-reload
        systemctl enable ollama
        systemctl restart ollama
        OLLAMA=ollama
      `);

  return {
    files: [{ path: PATHS.workloadEnv, content: plainEnvFile(env), permissions: '0600' }],
    steps: [
      {
        name: 'ollama',
        script:
          run +
          dedent(`
            i=0
            until curl -fsS -o /dev/null http://127.0.0.1:${OLLAMA_PORT}/api/version; do
              i=$((i + 1)); [ "$i" -le 120 ] || { log "ollama did not start"; return 1; }
              sleep 2
            done
            export OLLAMA_HOST=127.0.0.1:${OLLAMA_PORT}
            if $OLLAMA show ${model} >/dev/null 2>&1; then
              log "model ${spec.model.replace(/[^A-Za-z0-9._:/-]/g, '')} already present, skipping the download"
            else
              agent stage pulling_model ${model}
              # Progress bars are carriage returns; keep the log to the last lines of each layer.
              $OLLAMA pull ${model} 2>&1 | tr '\\r' '\\n' | grep -v '^pulling [0-9a-f]*: *[0-9]*%' | tail -n 20
              $OLLAMA show ${model} >/dev/null || { log "pulling the model failed"; return 1; }
            fi
          `),
      },
    ],
  };
};
